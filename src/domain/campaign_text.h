/* campaign_text.h - the campaign object of the contract written straight
 * as JSON text, without building a jansson tree (issue 19: the tree and
 * json_dumps were 12 % of a GET /v1/campaigns/{id}, render_campaign 8 %).
 * The bytes are exactly json_dumps(render_campaign(c), JSON_COMPACT):
 * tests/unit/campaign_text_test.c compares the two on varied campaigns.
 * Pure, thread-safe. */
#ifndef CAMPAIGND_CAMPAIGN_TEXT_H
#define CAMPAIGND_CAMPAIGN_TEXT_H

#include "domain/campaign.h"
#include "util/buf.h"

/* Appends the campaign's JSON to out. -1 (out then holds a part) when a
 * string of the campaign is missing or not valid UTF-8: jansson would
 * drop that member, so the caller renders with render_campaign instead. */
int campaign_text(const struct campaign *c, struct buf *out);

#endif
