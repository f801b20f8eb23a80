# Image store integration tests (included from tests/integration/CMakeLists.txt).
pouch_integration_test(images-28 images.sh 28 TIMEOUT 300)
pouch_integration_test(images-20.10 images.sh 20 TIMEOUT 300)
pouch_integration_test(images-hostile images-hostile.sh TIMEOUT 180)
pouch_integration_test(images-overlay images-overlay.sh TIMEOUT 120)
pouch_integration_test(images-python images-python.sh TIMEOUT 180)
pouch_integration_test(images-dockerd-interop images-dockerd-interop.sh TIMEOUT 300)
