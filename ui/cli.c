/*
 * cli.c - one command from the shell: parse it against the command table, open the store, send
 * the requests (all at once, pipelined), print each result in argument order as it completes,
 * and turn the first failure into the exit code.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define SCAN_BATCH 1000
#define WAIT_SLICE_MS 200

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Ctrl-C during a stream cancels it cleanly instead of killing the worker mid-write. */
static void catch_interrupts(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
}

int kv_cli_prepare(kv_cli_command *command, int argc, char **argv, bool *show_help)
{
    char err[512];
    memset(command, 0, sizeof *command);
    *show_help = false;
    kv_status st = kv_command_parse(argc, argv, &command->parsed, err, sizeof err);
    if (st == KV_OK && command->parsed.help) {
        kv_command_print_help(stdout, command->parsed.command);
        *show_help = true;
        return 0;
    }
    if (st == KV_OK && command->parsed.command->action == KV_ACTION_REQUESTS) {
        kv_build_context context = {.stdin_source = stdin};
        st = kv_command_build(&command->parsed, &context, &command->requests, err, sizeof err);
    }
    if (st != KV_OK) {
        kv_output_error(st, err);
        kv_cli_command_free(command);
        return kv_status_exit_code(st);
    }
    return 0;
}

void kv_cli_command_free(kv_cli_command *command)
{
    kv_command_parsed_free(&command->parsed);
    kv_request_list_free(&command->requests);
}

/* Print one finished result the plain way (DESIGN.md section 6; the README lists the forms). */
static void print_plain(const kv_cli_command *command, const kv_result *result)
{
    bool terminal = isatty(STDOUT_FILENO);
    switch (result->op) {
    case KV_OP_GET:
        if (command->requests.count > 1)
            kv_output_key_value_line(stdout, result);
        else
            kv_output_value(stdout, result, terminal);
        break;
    case KV_OP_LOCK:
        kv_output_value(stdout, result, terminal);
        fflush(stdout);
        fprintf(stderr, "cas 0x%" PRIx64 "\n", result->cas);
        break;
    case KV_OP_COUNTER:
        printf("%" PRIu64 "\n", result->counter);
        break;
    case KV_OP_REMOVE:
    case KV_OP_UNLOCK:
        break;
    default:
        printf("0x%" PRIx64 "\n", result->cas);
        break;
    }
}

/* Print RESULT; returns its exit code (0 for a quiet miss). */
static int report_result(const kv_cli_command *command, const kv_result *result, bool json)
{
    bool quiet_miss = result->status == KV_ERR_NOT_FOUND && command->parsed.quiet;
    if (json)
        kv_output_result_json(stdout, result);
    else if (result->status == KV_OK)
        print_plain(command, result);
    if (result->status == KV_OK || quiet_miss)
        return 0;
    fflush(stdout);
    kv_output_result_error(result);
    return kv_status_exit_code(result->status);
}

typedef struct request_slots {
    kv_result *results;
    bool *done;
    size_t count;
    size_t next_to_print;
    int exit_code;
} request_slots;

static void take_result(request_slots *slots, kv_event *event)
{
    size_t index = (size_t)(uintptr_t)event->user;
    if (event->type != KV_EVENT_RESULT || index >= slots->count || slots->done[index])
        return;
    slots->results[index] = event->result;
    event->result.value = NULL; /* the slot owns it now */
    slots->done[index] = true;
}

/* Results arrive in any order; print them in argument order as soon as each one can be. */
static void print_ready(request_slots *slots, const kv_cli_command *command, bool json)
{
    while (slots->next_to_print < slots->count && slots->done[slots->next_to_print]) {
        kv_result *result = &slots->results[slots->next_to_print++];
        int code = report_result(command, result, json);
        if (slots->exit_code == 0)
            slots->exit_code = code;
        kv_result_clear(result);
    }
    fflush(stdout);
}

static int run_requests(kv_client *client, kv_cli_command *command, bool json)
{
    request_slots slots = {.count = command->requests.count};
    slots.results = calloc(slots.count ? slots.count : 1, sizeof *slots.results);
    slots.done = calloc(slots.count ? slots.count : 1, sizeof *slots.done);
    if (!slots.results || !slots.done)
        abort();
    for (size_t i = 0; i < slots.count; i++) {
        kv_client_submit(client, command->requests.items[i], (void *)(uintptr_t)i);
        command->requests.items[i] = NULL; /* the client owns it now */
    }
    while (slots.next_to_print < slots.count) {
        kv_client_wait(client, -1);
        for (kv_event *e = kv_client_poll(client), *next; e; e = next) {
            next = e->next;
            take_result(&slots, e);
            kv_event_free(e);
        }
        print_ready(&slots, command, json);
    }
    free(slots.results);
    free(slots.done);
    return slots.exit_code;
}

typedef struct stream_state {
    uint64_t id;
    bool json;
    bool progress;      /* stderr is a terminal: show a \r-updated line */
    const char *verb;   /* "imported" / "exported" for transfers, NULL for keys */
    bool finished;
    kv_status status;
    char message[256];
    uint64_t items;
} stream_state;

static void show_progress(const stream_state *state, const kv_event *event)
{
    if (!state->progress)
        return;
    fprintf(stderr, "\r%s %" PRIu64 " documents", state->verb, event->items);
    if (event->total_bytes > 0)
        fprintf(stderr, " (%" PRIu64 "%%)", event->bytes * 100 / event->total_bytes);
    fflush(stderr);
}

static void handle_stream_event(stream_state *state, const kv_event *event)
{
    if (event->id != state->id)
        return;
    if (event->type == KV_EVENT_KEYS) {
        for (size_t i = 0; i < event->nkeys; i++) {
            if (event->keys[i].detail == KV_KEY_COMPLETE) /* whole records only */
                kv_output_key_info(stdout, &event->keys[i], state->json);
        }
        fflush(stdout);
    } else if (event->type == KV_EVENT_PROGRESS) {
        show_progress(state, event);
    } else if (event->type == KV_EVENT_DONE) {
        state->finished = true;
        state->status = event->status;
        state->items = event->items;
        snprintf(state->message, sizeof state->message, "%s", event->message);
    }
}

/* Drain events until the stream's DONE; Ctrl-C cancels it once. */
static void follow_stream(kv_client *client, stream_state *state)
{
    bool cancelled = false;
    interrupted = 0;
    catch_interrupts();
    while (!state->finished) {
        kv_client_wait(client, WAIT_SLICE_MS);
        if (interrupted && !cancelled) {
            kv_client_cancel(client, state->id);
            cancelled = true;
        }
        for (kv_event *e = kv_client_poll(client), *next; e; e = next) {
            next = e->next;
            handle_stream_event(state, e);
            kv_event_free(e);
        }
    }
    signal(SIGINT, SIG_DFL);
}

static int finish_stream(const stream_state *state)
{
    if (state->progress)
        fputs("\r\033[K", stderr);
    if (state->verb && state->json)
        printf("{\"success\":%s,\"error\":%s%s%s,\"items\":%" PRIu64 "}\n",
               state->status == KV_OK ? "true" : "false", state->status == KV_OK ? "" : "\"",
               state->status == KV_OK ? "null" : kv_status_name(state->status),
               state->status == KV_OK ? "" : "\"", state->items);
    else if (state->verb)
        printf("%s %" PRIu64 " documents\n", state->verb, state->items);
    fflush(stdout);
    if (state->status == KV_OK)
        return 0;
    kv_output_error(state->status, state->message);
    return state->status == KV_ERR_CANCELLED ? 130 : kv_status_exit_code(state->status);
}

static int run_keys(kv_client *client, const kv_cli_command *command, bool json)
{
    const kv_parsed_command *p = &command->parsed;
    stream_state state = {.json = json};
    state.id = kv_client_scan(client, p->nargs ? p->args[0] : NULL, SCAN_BATCH,
                              (size_t)p->limit, NULL);
    follow_stream(client, &state);
    return finish_stream(&state);
}

static int run_transfer(kv_client *client, const kv_cli_command *command, bool json)
{
    const kv_parsed_command *p = &command->parsed;
    bool import = p->command->action == KV_ACTION_IMPORT;
    stream_state state = {.json = json, .progress = isatty(STDERR_FILENO) != 0,
                          .verb = import ? "imported" : "exported"};
    state.id = import ? kv_client_import(client, p->args[0], p->id_field, NULL)
                      : kv_client_export(client, p->args[0], NULL);
    follow_stream(client, &state);
    return finish_stream(&state);
}

int kv_cli_execute(kv_cli_command *command, const char *store, const kv_cli_options *options)
{
    char err[512];
    kv_client *client = NULL;
    kv_open_options open_options = {.password = options->password,
                                    .read_only = options->read_only};
    kv_status st = kv_client_open(store, &open_options, &client, err, sizeof err);
    if (st != KV_OK) {
        kv_output_error(st, err);
        return kv_status_exit_code(st);
    }
    if (kv_client_warning(client))
        fprintf(stderr, "kvtui: warning: %s\n", kv_client_warning(client));
    int code;
    switch (command->parsed.command->action) {
    case KV_ACTION_REQUESTS:
        code = run_requests(client, command, options->json);
        break;
    case KV_ACTION_KEYS:
        code = run_keys(client, command, options->json);
        break;
    default:
        code = run_transfer(client, command, options->json);
        break;
    }
    kv_client_close(client);
    return code;
}
