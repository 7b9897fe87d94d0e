/* request_scope.h - the server's side of request-scoped memory: runs the
 * cleanups handlers deferred (request.h), once, when the request ends. */
#ifndef CAMPAIGND_REQUEST_SCOPE_H
#define CAMPAIGND_REQUEST_SCOPE_H

struct request;
void request_run_cleanups(struct request *req);

#endif
