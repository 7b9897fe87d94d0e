/* phone_plan.h - numbering-plan checks over libphonenumber (C++), for C.
 * The shim in phone_plan.cc catches every exception, so none crosses into
 * C. Thread-safe (the plans, compiled from libphonenumber's metadata at the
 * first check, are read-only afterwards and each thread has its own
 * matchers; phone_plan_init() builds them up front). */
#ifndef CAMPAIGND_PHONE_PLAN_H
#define CAMPAIGND_PHONE_PLAN_H

#ifdef __cplusplus
extern "C" {
#endif

enum phone_plan_result {
    PHONE_PLAN_VALID = 0,
    PHONE_PLAN_INVALID = -1, /* no such number in its country's plan */
    PHONE_PLAN_ERROR = -2    /* libphonenumber failed (logged as invalid) */
};

/* Loads libphonenumber's metadata; call once at start (optional: the first
 * check does it otherwise). */
void phone_plan_init(void);
/* Checks an E.164 number ("+14155550100") against its country's plan. On
 * success writes the ISO 3166 region ("US"; "001" for non-geographic) into
 * region (at least 4 bytes). */
enum phone_plan_result phone_plan_check(const char *e164, char region[4]);
/* The same check through libphonenumber's own public calls
 * (GetRegionCodeForNumber, IsValidNumberForRegion): several times slower.
 * phone_plan_check falls back to it when the compiled plans could not be
 * built; the unit tests compare both. */
enum phone_plan_result phone_plan_check_library(const char *e164, char region[4]);
/* 1 when phone_plan_check runs on the compiled plans (not the fallback). */
int phone_plan_compiled(void);

#ifdef __cplusplus
}
#endif

#endif
