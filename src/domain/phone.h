/* phone.h - phone number checks. phone_is_e164() is the syntax check of the
 * contract ("+" then 8..15 digits, no leading zero). Pure, thread-safe. */
#ifndef CAMPAIGND_PHONE_H
#define CAMPAIGND_PHONE_H

int phone_is_e164(const char *s);
/* An sms sender id: E.164, or 1..11 ASCII letters, digits and spaces with at
 * least one letter (the GSM alphanumeric sender rule), or a Twilio
 * Messaging Service (phone_is_messaging_service). */
int phone_is_sms_sender(const char *s);
/* "MG" and 32 hex digits: a Twilio Messaging Service SID, which a twilio
 * provider sends as MessagingServiceSid instead of From. */
int phone_is_messaging_service(const char *s);

#endif
