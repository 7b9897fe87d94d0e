/* curl_uv.h - libcurl's multi interface on a libuv loop (the pattern of
 * curl's docs/examples/multi-uv.c), shared by every HTTP client that runs
 * on the engine's loop: event webhooks now, HTTP-based providers (Twilio,
 * WhatsApp Cloud API, Vapi, Retell) next. One multi handle per user, so
 * each keeps its own connection cache and limits.
 *
 * The caller builds a CURL easy handle and hands it over with
 * curl_uv_start(); when the transfer ends, done(ctx, easy, result) runs on
 * the loop with the handle already out of the multi: the caller reads what
 * it needs (CURLINFO_*) and cleans it up. CURLOPT_PRIVATE belongs to
 * curl_uv. Thread: the loop's. */
#ifndef CAMPAIGND_CURL_UV_H
#define CAMPAIGND_CURL_UV_H

#include <curl/curl.h>

struct curl_uv;
struct uv_loop_s;

typedef void (*curl_uv_done)(void *ctx, CURL *easy, CURLcode result);

struct curl_uv *curl_uv_new(struct uv_loop_s *loop);
/* Starts the transfer; 0, or a negative ERROR_* code (nothing started, no
 * callback). */
int curl_uv_start(struct curl_uv *cu, CURL *easy, curl_uv_done done, void *ctx);
/* Stops a transfer in progress without calling its done; the caller then
 * cleans the handle up. */
void curl_uv_cancel(struct curl_uv *cu, CURL *easy);
/* The multi handle, for its options (connection limits and the like). */
CURLM *curl_uv_multi(struct curl_uv *cu);
/* Frees it once every transfer was cancelled or has ended; its handles
 * close on the loop (run it to let them). */
void curl_uv_free(struct curl_uv *cu);

#endif
