/* server.h - the HTTP server: libmicrohttpd with its own thread pool, each
 * worker polling with epoll. Owns request lifetime from the first byte to
 * the completion callback. */
#ifndef CAMPAIGND_SERVER_H
#define CAMPAIGND_SERVER_H

struct app;
struct server;

#define SERVER_MAX_BODY (16u * 1024 * 1024)
/* Most bytes read and dropped after the limit before the connection is cut. */
#define SERVER_MAX_DISCARD (64u * 1024 * 1024)

/* Most bytes of request bodies held at once by all connections together. */
#define SERVER_MAX_BODIES_HELD (256u * 1024 * 1024)
/* Deepest nesting of objects and arrays a JSON body may have (the body
 * itself is level 1). SQLite's JSON functions refuse deeper documents. */
#define SERVER_MAX_JSON_DEPTH 32

/* Starts serving on listen ("host:port", "[v6]:port"). 0, or -1 with a
 * reason logged. */
int server_start(struct app *app, const char *listen, unsigned threads, struct server **out);
/* Stops accepting, finishes requests in progress, frees the server. */
void server_stop(struct server *s);

#endif
