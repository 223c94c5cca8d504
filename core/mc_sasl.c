/*
 * The handshake on every new binary connection. SASL_LIST_MECHS tells a SASL server (memcached
 * -S, which then speaks binary only) from a plain one (which answers "unknown command" and also
 * speaks text). A SASL server gets authenticated before any operation, with sasl_mech_force= or
 * else the best mechanism it offers (kv__sasl_choose: SCRAM-SHA-512 > SCRAM-SHA-256 > SCRAM-SHA-1 >
 * PLAIN; PLAIN is allowed over plain TCP, as libmemcached does). PLAIN is one SASL_AUTH with
 * "\0user\0password". SCRAM (protocol.md 8) is SASL_AUTH with client-first, answered 0x21 with
 * server-first; SASL_STEP with client-final, answered with the server's signature v=, status 0
 * (Couchbase) or 0x21 (Cyrus SASL, which then wants one empty SASL_STEP answered 0). The server's
 * signature is always checked. Bad credentials are an AuthError that sticks, since retrying cannot
 * fix them. The password is only ever in request bytes the connection wipes once written, and in
 * the SCRAM state until the salted password is derived; it is never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"
#include "scram.h"
#include "util_alloc.h"

/* The handshake in progress on a connection (node->sasl_state). */
typedef struct sasl_state {
    kv__sasl_choice choice;
    kv__scram *scram; /* NULL for PLAIN */
    bool proven;      /* the server's signature checked: only Cyrus's empty last step remains */
} sasl_state;

void kv__mc_sasl_reset(kv__mc_node *node)
{
    sasl_state *st = node->sasl_state;
    if (st) {
        kv__scram_free(st->scram);
        free(st);
        node->sasl_state = NULL;
    }
}


static void fail_auth(kv__mc_node *node, const char *message)
{
    kv__mc_sasl_reset(node);
    kv__mc_node_refuse(node, KV_ERR_AUTH, message);
}

static void wrong_credentials(kv__mc_node *node)
{
    char message[KV__MC_MESSAGE_MAX];
    snprintf(message, sizeof message,
             "authentication as '%s' failed on %s: wrong username or password", node->mc->username,
             node->name);
    fail_auth(node, message);
}

/* A SCRAM step went wrong for the reason WHY. */
static void scram_failed(kv__mc_node *node, const char *why)
{
    char message[KV__MC_MESSAGE_MAX];
    const sasl_state *st = node->sasl_state;
    snprintf(message, sizeof message, "%s authentication as '%s' failed on %s: %s",
             st->choice.mech->cyrus, node->mc->username, node->name, why);
    fail_auth(node, message);
}

static void refused(kv__mc_node *node, const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    snprintf(message, sizeof message, "%s refused SASL authentication: %s", node->name,
             kv__mcbp_status_name(p->status));
    fail_auth(node, message);
}

static void authenticated(kv__mc_node *node)
{
    kv__mc_sasl_reset(node);
    kv__mc_sasl_done(node);
}

void kv__mc_sasl_done(kv__mc_node *node)
{
    if (node->mc->flavor)
        node->mc->flavor->authenticated(node);
    else
        kv__mc_node_ready(node);
}

static void step_cb(kv__mc_node *node, void *arg, const kv__mcbp_packet *p, kv_status status,
                    const char *message);

/* SASL_AUTH (OPCODE) or SASL_STEP with the chosen mechanism as key; SECRET: VALUE holds the
 * password (PLAIN). */
static void send_step(kv__mc_node *node, uint8_t opcode, const void *value, size_t len,
                      bool secret)
{
    const sasl_state *st = node->sasl_state;
    const char *name = st->choice.server_name;
    kv__mcbp_request r = {.opcode = opcode,
                          .key = (const uint8_t *)name,
                          .key_len = (uint16_t)strlen(name),
                          .value = value,
                          .value_len = len};
    kv__mc_node_handshake_call(node, &r, step_cb, NULL, secret);
}

static void send_plain(kv__mc_node *node)
{
    const char *user = node->mc->username, *password = node->mc->password;
    size_t user_len = strlen(user), password_len = strlen(password);
    size_t len = 1 + user_len + 1 + password_len;
    uint8_t *value = kv__xcalloc(1, len);
    memcpy(value + 1, user, user_len);
    memcpy(value + 2 + user_len, password, password_len);
    send_step(node, KV__MCBP_OP_SASL_AUTH, value, len, true);
    explicit_bzero(value, len);
    free(value);
}

static void send_client_first(kv__mc_node *node)
{
    sasl_state *st = node->sasl_state;
    char why[KV__MC_MESSAGE_MAX / 2];
    size_t len;
    if (kv__scram_begin(&st->scram, st->choice.mech, node->mc->username, node->mc->password, NULL,
                        why, sizeof why) != KV__SCRAM_OK) {
        scram_failed(node, why);
        return;
    }
    const char *first = kv__scram_output(st->scram, &len);
    send_step(node, KV__MCBP_OP_SASL_AUTH, first, len, false);
}

/* The server offered mechanisms P: pick one and start with it. */
static void start_auth(kv__mc_node *node, const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX], why[KV__MC_MESSAGE_MAX / 2];
    sasl_state *st = kv__xcalloc(1, sizeof *st);
    node->sasl_state = st;
    /* memcached allows PLAIN in the clear, as libmemcached does; Couchbase only over TLS (as
     * libcouchbase), unless sasl_mech_force=PLAIN asks for it. */
    bool plain_allowed = !node->mc->flavor || node->mc->tls;
    if (!kv__sasl_choose(p->value, p->value_len, node->mc->sasl_mech, plain_allowed, &st->choice,
                         why, sizeof why)) {
        snprintf(message, sizeof message, "cannot authenticate to %s: %s", node->name, why);
        fail_auth(node, message);
    } else if (st->choice.mech->hash == KV__SASL_PLAIN) {
        send_plain(node);
    } else {
        send_client_first(node);
    }
}

static void mechanisms_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    if (p->status == KV__MCBP_STATUS_UNKNOWN_COMMAND ||
        p->status == KV__MCBP_STATUS_NOT_SUPPORTED) {
        node->sasl = KV__MC_SASL_NONE;
        kv__mc_sasl_done(node);
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
                 "%s requires SASL authentication%s: add ?username=USER to the "
                 "connection string and give the password (KVTUI_PASSWORD, --password-file or "
                 "the prompt)",
                 node->name, node->mc->flavor ? "" : " (memcached -S)");
        kv__mc_node_refuse(node, KV_ERR_AUTH, message);
    } else {
        start_auth(node, p);
    }
}

/* The server-first message came: answer it with our proof. */
static void challenge_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    sasl_state *st = node->sasl_state;
    char why[KV__MC_MESSAGE_MAX / 2];
    size_t len;
    if (kv__scram_server_first(st->scram, p->value, p->value_len, why, sizeof why) !=
        KV__SCRAM_OK) {
        scram_failed(node, why);
        return;
    }
    const char *final = kv__scram_output(st->scram, &len);
    send_step(node, KV__MCBP_OP_SASL_STEP, final, len, false);
}

static void auth_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    const sasl_state *st = node->sasl_state;
    if (p->status == KV__MCBP_STATUS_AUTH_ERROR)
        wrong_credentials(node);
    else if (p->status == KV__MCBP_STATUS_SUCCESS && !st->scram)
        authenticated(node);
    else if (p->status == KV__MCBP_STATUS_SUCCESS)
        scram_failed(node, "the server accepted before kvtui sent a proof, so it could not "
                           "prove it knows the password");
    else if (p->status == KV__MCBP_STATUS_AUTH_CONTINUE && st->scram)
        challenge_answered(node, p);
    else if (p->status == KV__MCBP_STATUS_AUTH_CONTINUE)
        fail_auth(node, "the server asked for another SASL step, which PLAIN never has");
    else
        refused(node, p);
}

/* The answer to our proof: the server's signature, which must be right. */
static void proof_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    sasl_state *st = node->sasl_state;
    char why[KV__MC_MESSAGE_MAX / 2];
    if (p->status == KV__MCBP_STATUS_AUTH_ERROR) {
        wrong_credentials(node);
        return;
    }
    if (p->status != KV__MCBP_STATUS_SUCCESS && p->status != KV__MCBP_STATUS_AUTH_CONTINUE) {
        refused(node, p);
        return;
    }
    if (kv__scram_server_final(st->scram, p->value, p->value_len, why, sizeof why) !=
        KV__SCRAM_OK) {
        scram_failed(node, why);
        return;
    }
    st->proven = true;
    if (p->status == KV__MCBP_STATUS_SUCCESS)
        authenticated(node);
    else
        send_step(node, KV__MCBP_OP_SASL_STEP, NULL, 0, false);
}

static void step_answered(kv__mc_node *node, const kv__mcbp_packet *p)
{
    const sasl_state *st = node->sasl_state;
    if (!st->scram)
        fail_auth(node, "the server answered a SASL step PLAIN never sent");
    else if (!st->proven)
        proof_answered(node, p);
    else if (p->status == KV__MCBP_STATUS_SUCCESS)
        authenticated(node);
    else
        refused(node, p);
}

/* The answers of the handshake's steps. No answer (P NULL) means the connection broke or was
 * refused already: nothing is left to do here. */
static void mechanisms_cb(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                          kv_status status, const char *message)
{
    (void)arg, (void)status, (void)message;
    if (p)
        mechanisms_answered(node, p);
}

/* A SASL_AUTH or SASL_STEP answer (the server echoes the opcode). */
static void step_cb(kv__mc_node *node, void *arg, const kv__mcbp_packet *p, kv_status status,
                    const char *message)
{
    (void)arg, (void)status, (void)message;
    if (!p)
        return;
    if (!node->sasl_state)
        fail_auth(node, "a SASL answer came for a handshake that is not in progress");
    else if (p->opcode == KV__MCBP_OP_SASL_AUTH)
        auth_answered(node, p);
    else
        step_answered(node, p);
}

void kv__mc_sasl_start(kv__mc_node *node)
{
    kv__mc_sasl_reset(node);
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_SASL_LIST_MECHS};
    kv__mc_node_handshake_call(node, &r, mechanisms_cb, NULL, false);
}
