/* fairness.h - how one lane's budget of starts is shared among the
 * campaigns with due work in it, so one huge campaign cannot starve a small
 * one. Pure function (engine thread calls it each pass). */
#ifndef CAMPAIGND_FAIRNESS_H
#define CAMPAIGND_FAIRNESS_H

#include <stddef.h>

/* Each due campaign (due[i] != 0), taken in round-robin order starting at
 * position rr, gets budget / ndue starts, and the first budget % ndue of them
 * in that order one more; so with fewer starts than due campaigns, the ones
 * whose turn it is get one each, and moving rr on by one each pass rotates
 * the turn. want[i] receives campaign i's share (0 when not due). Returns
 * the sum of the shares (= budget when anything is due, else 0). */
size_t fair_share(const int *due, size_t n, size_t rr, size_t budget, size_t *want);

#endif
