# User namespaces (--userns-remap=default): each run may create the system
# user dockremap and its /etc/subuid, /etc/subgid lines and removes them
# after, so the two never run at the same time.
pouch_integration_test(userns userns.sh 28 TIMEOUT 300)
pouch_integration_test(userns-20.10 userns.sh 20 TIMEOUT 300)
set_tests_properties(integration/userns integration/userns-20.10 PROPERTIES RESOURCE_LOCK pouch-dockremap)
