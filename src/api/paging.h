/* paging.h - the list conventions of the contract: page_size (1..1000,
 * default 50) and page_token (see domain/pagetoken.h), bound to the
 * caller's account, the list's name and its canonical filter string. */
#ifndef CAMPAIGND_PAGING_H
#define CAMPAIGND_PAGING_H

#include "api/request.h"

#include <stddef.h>
#include <stdint.h>

struct paging {
    const char *list;
    char filters[256];
    size_t limit;
    int64_t cursor; /* 0 = first page */
};

/* Reads page_size and page_token; answers 400 and returns -1 when wrong. */
int paging_parse(struct request *req, const char *list, const char *filters, struct paging *out);
/* Answers 200 {"data": data (stolen), "next_page_token"}, with a token
 * continuing after last_seq when more rows follow. */
void paging_reply(struct request *req, const struct paging *p, json_t *data, int more,
                  int64_t last_seq);
/* paging_parse for the attempt lists (calls, messages), whose filters are
 * campaign_id, recipient_id (either may be NULL) and a status name ("" =
 * any). */
int paging_parse_attempts(struct request *req, const char *list, const char *campaign_id,
                          const char *recipient_id, const char *status, struct paging *out);
/* A query parameter, or NULL when absent or empty. Borrowed. */
const char *paging_query(struct request *req, const char *name);
/* A new token continuing after last_seq (caller frees). */
char *paging_next_token(struct request *req, const struct paging *p, int64_t last_seq);

#endif
