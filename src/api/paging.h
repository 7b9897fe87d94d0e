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
    const char *filters;
    size_t limit;
    int64_t cursor; /* 0 = first page */
};

/* Reads page_size and page_token; answers 400 and returns -1 when wrong. */
int paging_parse(struct request *req, const char *list, const char *filters, struct paging *out);
/* A new token continuing after last_seq (caller frees). */
char *paging_next_token(struct request *req, const struct paging *p, int64_t last_seq);

#endif
