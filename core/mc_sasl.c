/*
 * The handshake on every new binary connection. SASL_LIST_MECHS tells a SASL server (memcached
 * -S, which then speaks binary only) from a plain one (which answers "unknown command" and also
 * speaks text). A SASL server gets SASL_AUTH PLAIN ("\0user\0password") before any operation;
 * bad credentials are an AuthError that sticks, since retrying cannot fix them. The password is
 * only ever in the request bytes, which the connection wipes once written; it is never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"

#define PLAIN "PLAIN"

void kv__mc_sasl_start(kv__mc_node *node)
{
    kv__mc_node_send_internal(node, KV__MC_REQ_SASL_LIST, KV__MCBP_OP_SASL_LIST_MECHS, NULL, 0,
                              NULL, 0);
}

/* Whether the space-separated mechanism list MECHS (LEN bytes) names NAME. */
static bool offers(const uint8_t *mechs, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && mechs[j] != ' ')
            j++;
        if (j - i == n && memcmp(mechs + i, name, n) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

/* Printable server text for a message: at most 80 bytes, control bytes as '?'. */
static void server_text(char *out, size_t cap, const uint8_t *data, size_t len)
{
    size_t n = len < 80 ? len : 80;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '?';
    out[n] = '\0';
}

static void send_plain(kv__mc_node *node)
{
    const char *user = node->mc->username, *password = node->mc->password;
    size_t user_len = strlen(user), password_len = strlen(password);
    size_t len = 1 + user_len + 1 + password_len;
    uint8_t *value = malloc(len);
    if (!value) {
        kv__mc_node_refuse(node, KV_ERR_INTERNAL, "out of memory");
        return;
    }
    value[0] = '\0';
    memcpy(value + 1, user, user_len);
    value[1 + user_len] = '\0';
    memcpy(value + 2 + user_len, password, password_len);
    kv__mc_node_send_internal(node, KV__MC_REQ_SASL_AUTH, KV__MCBP_OP_SASL_AUTH, PLAIN,
                              (uint16_t)strlen(PLAIN), value, len);
    explicit_bzero(value, len);
    free(value);
}

static void mechanisms_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX], text[96];
    if (p->status == KV__MCBP_STATUS_UNKNOWN_COMMAND ||
        p->status == KV__MCBP_STATUS_NOT_SUPPORTED) {
        node->sasl = KV__MC_SASL_NONE;
        kv__mc_node_ready(node);
        return;
    }
    if (p->status != KV__MCBP_STATUS_SUCCESS) {
        snprintf(message, sizeof message, "%s refused SASL_LIST_MECHS: %s", node->name,
                 kv__mcbp_status_name(p->status));
        kv__mc_node_refuse(node, kv__mcbp_status_to_kv(p->status), message);
        return;
    }
    node->sasl = KV__MC_SASL_REQUIRED;
    if (!node->mc->username || !node->mc->password) {
        snprintf(message, sizeof message,
                 "%s requires SASL authentication (memcached -S): add ?username=USER to the "
                 "connection string and give the password (KVTUI_PASSWORD, --password-file or "
                 "the prompt)",
                 node->name);
        kv__mc_node_refuse(node, KV_ERR_AUTH, message);
    } else if (!offers(p->value, p->value_len, PLAIN)) {
        server_text(text, sizeof text, p->value, p->value_len);
        snprintf(message, sizeof message,
                 "%s offers the SASL mechanisms '%s'; kvtui authenticates with PLAIN only",
                 node->name, text);
        kv__mc_node_refuse(node, KV_ERR_AUTH, message);
    } else {
        send_plain(node);
    }
}

static void auth_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    switch (p->status) {
    case KV__MCBP_STATUS_SUCCESS:
        kv__mc_node_ready(node);
        return;
    case KV__MCBP_STATUS_AUTH_ERROR:
        snprintf(message, sizeof message,
                 "authentication as '%s' failed on %s: wrong username or password",
                 node->mc->username, node->name);
        break;
    case KV__MCBP_STATUS_AUTH_CONTINUE:
        snprintf(message, sizeof message, "%s asked for another SASL step, which PLAIN never has",
                 node->name);
        break;
    default:
        snprintf(message, sizeof message, "%s refused SASL authentication: %s", node->name,
                 kv__mcbp_status_name(p->status));
        break;
    }
    kv__mc_node_refuse(node, KV_ERR_AUTH, message);
}

void kv__mc_sasl_answer(kv__mc_node *node, const kv__mc_req *req, const kv__mcbp_packet *p)
{
    if (req->kind == KV__MC_REQ_SASL_LIST)
        mechanisms_answered(node, p);
    else
        auth_answered(node, p);
}

void kv__mc_sasl_reset(kv__mc_node *node)
{
    (void)node; /* PLAIN keeps no state between steps */
}
