/* Handlers of containers-archive.c (docker cp, export, diff, commit). */
#ifndef MOBY_API_CONTAINERS_ARCHIVE_H
#define MOBY_API_CONTAINERS_ARCHIVE_H

struct request;

int handle_containers_archive_head(struct request *req);
int handle_containers_archive_get(struct request *req);
int handle_containers_archive_put(struct request *req);
int handle_containers_export(struct request *req);
int handle_containers_changes(struct request *req);
int handle_commit(struct request *req);

#endif
