// phone_plan.cc - the C shim over libphonenumber, see phone_plan.h. Every
// entry point catches everything (catch (...)): no C++ exception may
// cross into C.
//
// The input is already E.164 ("+" and digits), so the number is never run
// through the general parser: the country code is the one prefix of 1..3
// digits libphonenumber knows (country codes are prefix-free) and the
// national significant number is the rest, leading zeros included.
//
// The check (phone_plan_check) runs on compiled plans: at the first check
// the numbering plans libphonenumber is built from (its compiled-in
// metadata, PhoneMetadataCollection) are read once and laid out by country
// code; a region's patterns are compiled with ICU (the regex engine
// libphonenumber itself uses) at the first check that needs the region,
// and held (the metadata 0.4 MiB, the US patterns less; all 250 regions
// compiled would be 8.5 MiB), each thread keeping its own matcher per
// pattern. A check then does what GetRegionCodeForNumber() followed by
// IsValidNumberForRegion() do, with the same rules, but:
// - the patterns are not looked up by their text (libphonenumber's
//   RegExpCache hashes the whole pattern, kilobytes for US fixed lines, at
//   every use, under a mutex) nor given a new matcher per use;
// - a number of a shared country code (+1, +7, +44...) whose region was
//   found by its number type is not type-checked a second time for that
//   region (libphonenumber's two calls do it twice: every US number);
// - the cheap length check of each number type comes before its pattern,
//   and the common types (fixed line, mobile) are tried first.
// Validity is "matches the general pattern and at least one type": the
// order in which the types are tried cannot change it.
//
// If the plans cannot be built (metadata that does not parse, a region
// without plan) every check, and if a region's patterns do not compile
// every check that needs the region, goes through the library's own calls
// instead (phone_plan_check_library), which the unit tests also use to
// compare both paths over many generated numbers.
#include "domain/phone_plan.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber's compiled-in metadata (its own phonenumbers/metadata.h,
// not installed by Debian; exported by libphonenumber.so): the serialized
// PhoneMetadataCollection its PhoneNumberUtil is built from.
namespace i18n {
namespace phonenumbers {
int metadata_size();
const void *metadata_get();
} // namespace phonenumbers
} // namespace i18n

namespace {

// One number type of a region: its possible lengths (none listed: any) and
// its pattern (index into Plans::texts and patterns; -1: no pattern, which
// never matches).
struct Desc {
    std::vector<int> lengths;
    int pattern = -1;
};

// A region's patterns are compiled at its first check (compile_region,
// once): a process compiles the plans of the regions it meets, not all 250.
struct Region {
    char code[4] = "";
    int leading = -1; // leading-digits pattern, for shared country codes
    bool same_mobile_and_fixed = false;
    Desc general, fixed_line, mobile;
    std::vector<Desc> others; // premium, toll free, shared cost, voip, ...
    std::once_flag once;
    bool compiled = false; // every pattern of the region compiled
};

struct Plans {
    bool ok = false;
    std::vector<std::string> texts;                           // by pattern index
    std::vector<std::unique_ptr<icu::RegexPattern>> patterns; // set by compile_region
    std::vector<std::unique_ptr<Region>> regions;
    std::vector<int> by_code[1000]; // country code -> regions, library order
};

// The matchers of one thread, one per pattern, made at first use.
struct Matchers {
    std::vector<std::unique_ptr<icu::RegexMatcher>> m;
    icu::RegexMatcher *get(const Plans &p, int i) {
        if (m.empty())
            m.resize(p.patterns.size());
        if (!m[i]) {
            UErrorCode st = U_ZERO_ERROR;
            m[i].reset(p.patterns[i]->matcher(st));
            if (U_FAILURE(st))
                m[i].reset();
        }
        return m[i].get();
    }
};

thread_local Matchers tl_matchers;

int add_text(Plans *p, const std::string &text) {
    p->texts.push_back(text);
    return static_cast<int>(p->texts.size()) - 1;
}

void load_desc(Plans *p, const PhoneNumberDesc &d, Desc *out) {
    out->lengths.assign(d.possible_length().begin(), d.possible_length().end());
    // libphonenumber: an empty pattern matches nothing
    if (!d.national_number_pattern().empty())
        out->pattern = add_text(p, d.national_number_pattern());
}

void load_region(Plans *p, const PhoneMetadata &md, const std::string &code, Region *r) {
    std::strncpy(r->code, code.c_str(), 3);
    r->same_mobile_and_fixed = md.same_mobile_and_fixed_line_pattern();
    if (md.has_leading_digits())
        r->leading = add_text(p, md.leading_digits());
    load_desc(p, md.general_desc(), &r->general);
    load_desc(p, md.fixed_line(), &r->fixed_line);
    load_desc(p, md.mobile(), &r->mobile);
    const PhoneNumberDesc *others[] = {&md.premium_rate(), &md.toll_free(),       &md.shared_cost(),
                                       &md.voip(),         &md.personal_number(), &md.pager(),
                                       &md.uan(),          &md.voicemail()};
    for (const PhoneNumberDesc *d : others) {
        Desc x;
        load_desc(p, *d, &x);
        if (x.pattern >= 0)
            r->others.push_back(std::move(x));
    }
}

// Reads the library's metadata and lays it out by country code in the
// order libphonenumber itself tries the regions of a shared code.
void load(Plans *p, const PhoneNumberUtil *util) {
    PhoneMetadataCollection all;
    if (!all.ParseFromArray(i18n::phonenumbers::metadata_get(),
                            i18n::phonenumbers::metadata_size()))
        return;
    std::map<std::string, const PhoneMetadata *> geo;
    std::map<int, const PhoneMetadata *> non_geo;
    for (const PhoneMetadata &md : all.metadata()) {
        if (md.id() == "001")
            non_geo[md.country_code()] = &md;
        else
            geo[md.id()] = &md;
    }
    for (int cc = 1; cc < 1000; cc++) {
        std::list<std::string> codes;
        util->GetRegionCodesForCountryCallingCode(cc, &codes);
        for (const std::string &code : codes) {
            const PhoneMetadata *md = nullptr;
            if (code == "001") {
                auto it = non_geo.find(cc);
                md = it == non_geo.end() ? nullptr : it->second;
            } else {
                auto it = geo.find(code);
                md = it == geo.end() || it->second->country_code() != cc ? nullptr : it->second;
            }
            if (!md)
                return;
            std::unique_ptr<Region> r(new Region);
            load_region(p, *md, code, r.get());
            p->by_code[cc].push_back(static_cast<int>(p->regions.size()));
            p->regions.push_back(std::move(r));
        }
    }
    p->patterns.resize(p->texts.size());
    p->ok = true;
}

Plans &plans() {
    static Plans *p = [] {
        Plans *x = new Plans; // held for the process's life
        try {
            load(x, PhoneNumberUtil::GetInstance());
        } catch (...) {
            x->ok = false;
        }
        return x;
    }();
    return *p;
}

bool compile(Plans &p, int i) {
    if (i < 0)
        return true;
    UParseError perr;
    UErrorCode st = U_ZERO_ERROR;
    p.patterns[i].reset(
        icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(p.texts[i]), 0, perr, st));
    if (U_FAILURE(st))
        p.patterns[i].reset();
    return p.patterns[i] != nullptr;
}

// Each pattern belongs to one region, so regions compiling at once (in
// different threads) write different slots; a thread reads a region's
// slots only after its call_once, which orders it after the writes.
void compile_region(Plans &p, Region &r) {
    bool ok = compile(p, r.leading) && compile(p, r.general.pattern) &&
              compile(p, r.fixed_line.pattern) && compile(p, r.mobile.pattern);
    for (const Desc &d : r.others)
        ok = ok && compile(p, d.pattern);
    r.compiled = ok;
}

bool ready(Plans &p, Region &r) {
    std::call_once(r.once, compile_region, std::ref(p), std::ref(r));
    return r.compiled;
}

// 1 when the whole of nsn matches pattern i (anchored at start only when
// prefix: libphonenumber's Consume of leading digits).
bool match(const Plans &p, int i, const icu::UnicodeString &nsn, bool prefix) {
    icu::RegexMatcher *m = tl_matchers.get(p, i);
    if (!m)
        throw std::bad_alloc();
    m->reset(nsn);
    UErrorCode st = U_ZERO_ERROR;
    bool hit = prefix ? m->lookingAt(st) : m->matches(st);
    if (U_FAILURE(st))
        throw std::bad_alloc();
    return hit;
}

bool matches_desc(const Plans &p, const Desc &d, const icu::UnicodeString &nsn, int len) {
    if (!d.lengths.empty() && std::find(d.lengths.begin(), d.lengths.end(), len) == d.lengths.end())
        return false;
    return d.pattern >= 0 && match(p, d.pattern, nsn, false);
}

// libphonenumber's GetNumberTypeHelper(...) != UNKNOWN.
bool has_type(const Plans &p, const Region &r, const icu::UnicodeString &nsn, int len) {
    if (!matches_desc(p, r.general, nsn, len))
        return false;
    if (matches_desc(p, r.fixed_line, nsn, len))
        return true;
    if (!r.same_mobile_and_fixed && matches_desc(p, r.mobile, nsn, len))
        return true;
    for (const Desc &d : r.others)
        if (matches_desc(p, d, nsn, len))
            return true;
    return false;
}

// The country code's length (1..3) in digits, 0 when none is known.
int country_code(const Plans &p, const char *digits, size_t n, int *cc) {
    int code = 0;
    for (size_t len = 1; len <= 3 && len < n; len++) {
        code = code * 10 + (digits[len - 1] - '0');
        if (!p.by_code[code].empty()) {
            *cc = code;
            return static_cast<int>(len);
        }
    }
    return 0;
}

// The check on compiled plans; false when a region it needed could not be
// compiled (the caller asks the library instead).
bool check_compiled(Plans &p, const char *e164, char region[4], enum phone_plan_result *out) {
    const char *digits = e164 + 1;
    size_t n = std::strlen(digits);
    int cc = 0, cc_len = country_code(p, digits, n, &cc);
    *out = PHONE_PLAN_INVALID;
    if (cc_len == 0)
        return true;
    const char *nsn_text = digits + cc_len;
    int len = static_cast<int>(n) - cc_len;
    icu::UnicodeString nsn(nsn_text, len, icu::UnicodeString::kInvariant);
    const std::vector<int> &list = p.by_code[cc];
    const Region *found = nullptr;
    if (list.size() == 1) {
        Region &r = *p.regions[list[0]];
        if (!ready(p, r))
            return false;
        if (!has_type(p, r, nsn, len))
            return true;
        found = &r;
    } else {
        // GetRegionCodeForNumberFromRegionList: the first region whose
        // leading digits start the number, or (without leading digits)
        // whose plan has a type for it; then IsValidNumberForRegion, which
        // a region found by its type passes already.
        for (int i : list) {
            Region &r = *p.regions[i];
            if (!ready(p, r))
                return false;
            if (r.leading >= 0) {
                if (match(p, r.leading, nsn, true)) {
                    if (!has_type(p, r, nsn, len))
                        return true;
                    found = &r;
                    break;
                }
            } else if (has_type(p, r, nsn, len)) {
                found = &r;
                break;
            }
        }
        if (!found)
            return true;
    }
    std::memcpy(region, found->code, 3);
    region[3] = '\0';
    *out = PHONE_PLAN_VALID;
    return true;
}

bool build(const PhoneNumberUtil *util, const char *e164, PhoneNumber *number) {
    const char *digits = e164 + 1;
    size_t n = std::strlen(digits);
    for (size_t cc_len = 1; cc_len <= 3 && cc_len < n; cc_len++) {
        int cc = 0;
        for (size_t i = 0; i < cc_len; i++)
            cc = cc * 10 + (digits[i] - '0');
        std::string region;
        util->GetRegionCodeForCountryCode(cc, &region);
        if (region == "ZZ")
            continue;
        const char *nsn = digits + cc_len;
        size_t zeros = 0;
        while (nsn[zeros] == '0' && nsn[zeros + 1] != '\0')
            zeros++;
        number->set_country_code(cc);
        number->set_national_number(std::strtoull(nsn, nullptr, 10));
        if (zeros > 0) {
            number->set_italian_leading_zero(true);
            if (zeros > 1)
                number->set_number_of_leading_zeros(static_cast<int>(zeros));
        }
        return true;
    }
    return false;
}

bool plain_e164(const char *e164) {
    if (!e164 || e164[0] != '+' || !e164[1] || std::strlen(e164) > 16)
        return false;
    for (const char *s = e164 + 1; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

} // namespace

extern "C" void phone_plan_init(void) {
    try {
        (void)plans();
    } catch (...) {
    }
}

extern "C" enum phone_plan_result phone_plan_check_library(const char *e164, char region[4]) {
    try {
        if (!e164 || e164[0] != '+')
            return PHONE_PLAN_INVALID;
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        if (!build(util, e164, &number))
            return PHONE_PLAN_INVALID;
        std::string code;
        util->GetRegionCodeForNumber(number, &code);
        if (code == "ZZ" || !util->IsValidNumberForRegion(number, code))
            return PHONE_PLAN_INVALID;
        std::strncpy(region, code.c_str(), 3);
        region[3] = '\0';
        return PHONE_PLAN_VALID;
    } catch (...) {
        return PHONE_PLAN_ERROR;
    }
}

extern "C" enum phone_plan_result phone_plan_check(const char *e164, char region[4]) {
    try {
        Plans &p = plans();
        enum phone_plan_result r;
        if (!p.ok || !plain_e164(e164) || !check_compiled(p, e164, region, &r))
            return phone_plan_check_library(e164, region);
        return r;
    } catch (...) {
        return PHONE_PLAN_ERROR;
    }
}

extern "C" int phone_plan_compiled(void) {
    try {
        return plans().ok ? 1 : 0;
    } catch (...) {
        return 0;
    }
}
