/* dashboard_assets.h - the dashboard's static files (web/dashboard/),
 * embedded into the binary at build time.
 *
 * cmake/embed_assets.cmake writes the table into the build tree
 * (generated/dashboard_assets.c) from every file of web/dashboard/: its
 * name, the Content-Type its extension implies, a strong ETag (the first
 * 16 hex digits of its SHA-256, quoted) and its bytes. The table is
 * constant: any thread may read it. */
#ifndef CAMPAIGND_DASHBOARD_ASSETS_H
#define CAMPAIGND_DASHBOARD_ASSETS_H

#include <stddef.h>

struct dashboard_asset {
    const char *name;         /* file name, e.g. "app.js" (no directories) */
    const char *content_type; /* e.g. "text/javascript; charset=utf-8" */
    const char *etag;         /* "\"<16 hex>\"" */
    const unsigned char *data;
    size_t len;
};

extern const struct dashboard_asset dashboard_assets[];
extern const size_t dashboard_asset_count;

#endif
