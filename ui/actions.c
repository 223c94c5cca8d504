/* The global actions (quit, filter, command line, delete, TTL, counter, new document, refresh)
 * and running a line of the command language at the : prompt. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmdline.h"
#include "command.h"
#include "editor.h"
#include "save.h"

/* The user pointer of import/export events. */
static int transfer_tag;

/* The selected key, copied so a prompt's callback still has it after the list changed. */
typedef struct key_ctx {
    size_t len;
    char key[KV_KEY_MAX + 1];
    kv_format format; /* new document: the format asked for */
} key_ctx;

static key_ctx *selected_ctx(ui_app *app)
{
    size_t len;
    const char *key = ui_app_selected_key(app, &len);
    if (!key) {
        ui_status_log(app, UI_LOG_ERROR, "no key selected");
        return NULL;
    }
    key_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        abort();
    ctx->len = len < KV_KEY_MAX ? len : KV_KEY_MAX;
    memcpy(ctx->key, key, ctx->len);
    return ctx;
}

static void reopen_if_shown(ui_app *app, const kv_result *result, void *ctx)
{
    (void)ctx;
    const kv_result *doc = &app->doc.result;
    if (result->status == KV_OK && app->doc.open && doc->key_len == result->key_len &&
        memcmp(doc->key, result->key, doc->key_len) == 0)
        ui_app_open_document(app, result->key, result->key_len);
}

static void submit_for_key(ui_app *app, kv_request *request)
{
    char errbuf[200];
    kv_status status = kv_request_check(request, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
        kv_request_free(request);
        return;
    }
    ui_app_submit(app, request, reopen_if_shown, NULL);
}

static void delete_confirmed(ui_app *app, const char *answer, void *ctx)
{
    key_ctx *key = ctx;
    if (answer)
        submit_for_key(app, kv_request_new(KV_OP_REMOVE, key->key, key->len));
    else
        ui_status_log(app, UI_LOG_INFO, "delete cancelled");
    free(key);
}

static void ttl_entered(ui_app *app, const char *text, void *ctx)
{
    key_ctx *key = ctx;
    char *end = NULL;
    long long ttl = text ? strtoll(text, &end, 10) : -1;
    if (text && (end == text || *end || ttl < 0)) {
        ui_status_log(app, UI_LOG_ERROR, "ArgumentError: TTL '%s' is not a number of seconds",
                      text);
    } else if (text) {
        kv_request *request = kv_request_new(KV_OP_TOUCH, key->key, key->len);
        request->has_ttl = true;
        request->ttl = ttl;
        submit_for_key(app, request);
    }
    free(key);
}

static void delta_entered(ui_app *app, const char *text, void *ctx)
{
    key_ctx *key = ctx;
    char *end = NULL;
    long long delta = text ? strtoll(text, &end, 10) : 0;
    if (text && (end == text || *end)) {
        ui_status_log(app, UI_LOG_ERROR, "ArgumentError: delta '%s' is not a whole number", text);
    } else if (text) {
        kv_request *request = kv_request_new(KV_OP_COUNTER, key->key, key->len);
        request->delta = delta;
        submit_for_key(app, request);
    }
    free(key);
}

static void value_entered(ui_app *app, const char *text, void *ctx)
{
    key_ctx *key = ctx;
    if (text) {
        kv_request *request = kv_request_new(KV_OP_INSERT, key->key, key->len);
        char errbuf[200];
        uint8_t *value = NULL;
        size_t len = 0;
        kv_status status = kv_value_encode(key->format, (const uint8_t *)text, strlen(text),
                                           &value, &len, &request->flags, errbuf, sizeof errbuf);
        if (status != KV_OK) {
            ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
            kv_request_free(request);
        } else {
            request->value = value;
            request->value_len = len;
            submit_for_key(app, request);
            ui_app_open_document(app, key->key, key->len);
        }
    }
    free(key);
}

static void format_entered(ui_app *app, const char *text, void *ctx)
{
    key_ctx *key = ctx;
    if (!text) {
        free(key);
        return;
    }
    if (kv_format_parse(text, &key->format) != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "ArgumentError: unknown format '%s'", text);
        ui_app_prompt(app, "format (auto, json, utf8, bytes, pickle): ", "auto", format_entered,
                      key);
        return;
    }
    ui_app_prompt(app, key->format == KV_FORMAT_PICKLE ? "value (JSON, stored as a pickle): "
                                                        : "value: ",
                  NULL, value_entered, key);
}

static void new_key_entered(ui_app *app, const char *text, void *ctx)
{
    (void)ctx;
    if (!text || !text[0])
        return;
    key_ctx *key = calloc(1, sizeof *key);
    if (!key)
        abort();
    key->len = strlen(text) < KV_KEY_MAX ? strlen(text) : KV_KEY_MAX;
    memcpy(key->key, text, key->len);
    ui_app_prompt(app, "format (auto, json, utf8, bytes, pickle): ", "auto", format_entered, key);
}

static void filter_changed(ui_app *app, const char *text, void *ctx)
{
    (void)ctx;
    if (text)
        ui_key_model_set_filter(&app->keys, text);
    app->key_selected = app->key_top = 0;
    app->dirty |= UI_REDRAW_KEYS | UI_REDRAW_BAR;
}

/* Actions that change the store ask first when the store is read-only. */
static unsigned ask_about_selected(ui_app *app, const char *what, const char *label,
                                   const char *initial, ui_prompt_fn done)
{
    if (ui_app_refuse_if_read_only(app, what))
        return UI_REDRAW_STATUS;
    key_ctx *key = selected_ctx(app);
    if (!key)
        return UI_REDRAW_STATUS;
    char question[96];
    snprintf(question, sizeof question, label, (int)(key->len > 40 ? 40 : key->len), key->key);
    if (!initial)
        ui_app_confirm(app, question, done, key);
    else
        ui_app_prompt(app, question, initial, done, key);
    return UI_REDRAW_BAR;
}

/* A bound command with %k replaced by the selected key, quoted for the command language. */
static void run_bound_command(ui_app *app, const char *command)
{
    char line[2048];
    size_t used = 0, len = 0;
    const char *key = ui_app_selected_key(app, &len);
    for (const char *p = command; *p && used + 8 < sizeof line; p++) {
        if (p[0] != '%' || p[1] != 'k') {
            line[used++] = *p;
            continue;
        }
        p++;
        line[used++] = '\'';
        for (size_t i = 0; key && i < len && used + 8 < sizeof line; i++) {
            if (key[i] == '\'') { /* close, escaped quote, reopen */
                memcpy(line + used, "'\\''", 4);
                used += 4;
            } else {
                line[used++] = key[i];
            }
        }
        line[used++] = '\'';
    }
    line[used] = '\0';
    ui_actions_run_command(app, line);
}

/* The actions that do not depend on the focused pane. */
static unsigned run_global(ui_app *app, ui_action action)
{
    switch (action) {
    case UI_ACTION_QUIT: app->quit = true; return UI_REDRAW_NONE;
    case UI_ACTION_HELP: app->show_help = !app->show_help; return UI_REDRAW_DOC;
    case UI_ACTION_COMMAND_LINE: ui_cmdline_open(app); return UI_REDRAW_BAR;
    case UI_ACTION_FILTER:
        ui_app_prompt(app, "/", app->keys.filter, filter_changed, NULL);
        app->prompt.live = true;
        app->focus = UI_PANE_KEYS;
        return UI_REDRAW_ALL;
    case UI_ACTION_SWITCH_PANE:
        app->focus = app->focus == UI_PANE_KEYS ? UI_PANE_DOC : UI_PANE_KEYS;
        return UI_REDRAW_KEYS | UI_REDRAW_DOC;
    case UI_ACTION_RELOAD:
        ui_keys_start_scan(app);
        if (app->doc.open)
            ui_app_open_document(app, app->doc.result.key, app->doc.result.key_len);
        return UI_REDRAW_ALL;
    case UI_ACTION_EDIT: ui_editor_open(app); return UI_REDRAW_ALL;
    case UI_ACTION_EDIT_EXTERNAL: ui_edit_external(app); return UI_REDRAW_ALL;
    case UI_ACTION_DELETE:
        return ask_about_selected(app, "delete", "delete '%.*s'?", NULL, delete_confirmed);
    case UI_ACTION_SET_TTL:
        return ask_about_selected(app, "set TTL", "TTL for '%.*s' (seconds, 0 = none): ", "",
                                  ttl_entered);
    case UI_ACTION_COUNTER_INCREMENT:
        return ask_about_selected(app, "counter", "add to '%.*s': ", "1", delta_entered);
    case UI_ACTION_COUNTER_DECREMENT:
        return ask_about_selected(app, "counter", "add to '%.*s': ", "-1", delta_entered);
    case UI_ACTION_NEW_DOCUMENT:
        if (ui_app_refuse_if_read_only(app, "new document"))
            return UI_REDRAW_STATUS;
        ui_app_prompt(app, "new key: ", NULL, new_key_entered, NULL);
        return UI_REDRAW_BAR;
    default: return UI_KEY_UNHANDLED;
    }
}

static ui_context focus_context(const ui_app *app)
{
    if (app->edit && app->edit->in_conflict)
        return UI_CONTEXT_CONFLICT;
    return app->focus == UI_PANE_DOC ? UI_CONTEXT_DOCUMENT : UI_CONTEXT_KEYS;
}

unsigned ui_actions_key(ui_app *app, const ui_key *key)
{
    const ui_binding *binding = ui_keymap_lookup(&app->keymap, focus_context(app), key);
    if (!binding)
        return UI_KEY_UNHANDLED;
    if (binding->action == UI_ACTION_COMMAND) {
        run_bound_command(app, binding->command);
        return UI_REDRAW_ALL;
    }
    unsigned redraw = ui_conflict_action(app, binding->action);
    if (redraw & UI_KEY_UNHANDLED)
        redraw = run_global(app, binding->action);
    if (redraw & UI_KEY_UNHANDLED) {
        ui_pane *pane = &app->panes[app->focus];
        redraw = pane->ops->action ? pane->ops->action(pane, app, binding->action) : 0;
    }
    return redraw & ~UI_KEY_UNHANDLED;
}

/* get opens the document; every other result only needs its log line. */
static void command_result(ui_app *app, const kv_result *result, void *ctx)
{
    (void)ctx;
    if (result->op == KV_OP_GET && result->status == KV_OK)
        ui_app_open_document(app, result->key, result->key_len);
    else
        reopen_if_shown(app, result, NULL);
}

static void run_requests(ui_app *app, const kv_parsed_command *parsed)
{
    kv_build_context context = {.stdin_source = NULL};
    kv_request_list list = {0};
    char errbuf[256];
    kv_status status = kv_command_build(parsed, &context, &list, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
        return;
    }
    for (size_t i = 0; i < list.count; i++) {
        ui_app_submit(app, list.items[i], command_result, NULL);
        list.items[i] = NULL;
    }
    kv_request_list_free(&list);
}

static void run_parsed(ui_app *app, const kv_parsed_command *parsed)
{
    const kv_command *command = parsed->command;
    if (command->action != KV_ACTION_KEYS && command->op != KV_OP_GET &&
        ui_app_refuse_if_read_only(app, command->name))
        return;
    switch (command->action) {
    case KV_ACTION_REQUESTS:
        run_requests(app, parsed);
        break;
    case KV_ACTION_KEYS:
        ui_key_model_set_filter(&app->keys, parsed->nargs ? parsed->args[0] : "");
        app->key_selected = app->key_top = 0;
        app->dirty |= UI_REDRAW_KEYS | UI_REDRAW_BAR;
        break;
    case KV_ACTION_IMPORT:
        kv_client_import(app->client, parsed->args[0], parsed->id_field, &transfer_tag);
        ui_status_log(app, UI_LOG_INFO, "importing %s...", parsed->args[0]);
        break;
    case KV_ACTION_EXPORT:
        kv_client_export(app->client, parsed->args[0], &transfer_tag);
        ui_status_log(app, UI_LOG_INFO, "exporting to %s...", parsed->args[0]);
        break;
    }
}

void ui_actions_run_command(ui_app *app, const char *line)
{
    int argc = 0;
    char **argv = NULL;
    size_t column = 0;
    char errbuf[256];
    kv_status status = kv_command_split(line, &argc, &argv, &column, errbuf, sizeof errbuf);
    if (status == KV_OK && argc > 0) {
        kv_parsed_command parsed;
        status = kv_command_parse(argc, argv, &parsed, errbuf, sizeof errbuf);
        if (status == KV_OK) {
            run_parsed(app, &parsed);
            kv_command_parsed_free(&parsed);
        }
    }
    if (status != KV_OK)
        ui_status_log(app, UI_LOG_ERROR, "%s: %s", kv_status_name(status), errbuf);
    kv_command_argv_free(argv);
}

bool ui_actions_handle_stream(ui_app *app, const kv_event *event)
{
    if (event->user != &transfer_tag)
        return false;
    if (event->type == KV_EVENT_PROGRESS)
        ui_status_log(app, UI_LOG_INFO, "%" PRIu64 " documents, %" PRIu64 " of %" PRIu64 " bytes",
                      event->items, event->bytes, event->total_bytes);
    else if (event->type == KV_EVENT_DONE)
        ui_status_log(app, event->status == KV_OK ? UI_LOG_OK : UI_LOG_ERROR, "%s%s%s",
                      event->status == KV_OK ? "" : kv_status_name(event->status),
                      event->status == KV_OK ? "" : ": ", event->message);
    if (event->type == KV_EVENT_DONE)
        ui_keys_start_scan(app);
    return true;
}
