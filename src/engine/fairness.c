/* fairness.c - sharing a lane's starts among its campaigns, see fairness.h. */
#include "engine/fairness.h"

size_t fair_share(const int *due, size_t n, size_t rr, size_t budget, size_t *want) {
    size_t ndue = 0;
    for (size_t i = 0; i < n; i++) {
        want[i] = 0;
        ndue += due[i] != 0;
    }
    if (ndue == 0 || budget == 0)
        return 0;
    size_t base = budget / ndue, extra = budget % ndue, total = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = (rr + k) % n;
        if (!due[i])
            continue;
        want[i] = base + (extra > 0);
        if (extra > 0)
            extra--;
        total += want[i];
    }
    return total;
}
