/* At start: each unsaved edit left for this store (a crash, a kill, a closed terminal) is offered
 * back, one y/n question at a time. Restoring opens the editor on it, based on the CAS it was
 * based on, so saving it over a newer version meets the conflict view rather than overwriting.
 * Declining asks whether to delete it; "no" keeps it for the next start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "editor_internal.h"

typedef struct offer_list {
    char **paths;
    size_t count, next;
} offer_list;

static offer_list offers;

static void offer_next(ui_app *app);

static void end_offers(void)
{
    ui_recovery_list_free(offers.paths, offers.count);
    memset(&offers, 0, sizeof offers);
}

static void restore(ui_app *app, const char *path)
{
    ui_recovery r;
    char errbuf[1400];
    if (ui_recovery_read(path, &r, errbuf, sizeof errbuf) != KV_OK) {
        ui_status_log(app, UI_LOG_ERROR, "%s", errbuf);
        return;
    }
    ui_recovery_adopt(path, app->store, r.key, r.key_len);
    ui_app_open_document(app, r.key, r.key_len);
    ui_editor_start(app, &r, true);
    ui_status_log(app, UI_LOG_OK, "restored your unsaved edit of %.*s (based on cas 0x%llx)",
                  (int)r.key_len, r.key, (unsigned long long)r.base_cas);
    ui_recovery_free(&r);
}

static void delete_answered(ui_app *app, const char *answer, void *ctx)
{
    (void)ctx;
    const char *path = offers.paths[offers.next];
    if (answer && unlink(path) == 0)
        ui_status_log(app, UI_LOG_INFO, "deleted the unsaved edit");
    else
        ui_status_log(app, UI_LOG_INFO, "kept %s for the next start", path);
    offers.next++;
    offer_next(app);
}

static void restore_answered(ui_app *app, const char *answer, void *ctx)
{
    (void)ctx;
    if (!answer) {
        ui_app_confirm(app, "then delete it for good?", delete_answered, NULL);
        return;
    }
    restore(app, offers.paths[offers.next]);
    size_t left = offers.count - offers.next - 1;
    if (left > 0)
        ui_status_log(app, UI_LOG_INFO,
                      "%zu more unsaved edit(s) wait: offered at the next start, or by e on "
                      "their key",
                      left);
    end_offers(); /* one editor at a time */
}

/* "restore the unsaved edit of 'user::1' (03:10:22)?" with the key cut to fit the prompt. */
static void ask(ui_app *app, const ui_recovery *r)
{
    char question[96], when[16];
    time_t t = (time_t)r->saved_at;
    struct tm tm;
    strftime(when, sizeof when, "%H:%M:%S", localtime_r(&t, &tm));
    int shown = r->key_len > 32 ? 32 : (int)r->key_len;
    snprintf(question, sizeof question, "restore your unsaved edit of '%.*s%s' (%s)?", shown,
             r->key, (int)r->key_len > shown ? "..." : "", when);
    ui_app_confirm(app, question, restore_answered, NULL);
}

static void offer_next(ui_app *app)
{
    while (offers.next < offers.count) {
        ui_recovery r;
        char errbuf[1400];
        if (ui_recovery_read(offers.paths[offers.next], &r, errbuf, sizeof errbuf) == KV_OK) {
            ask(app, &r);
            ui_recovery_free(&r);
            return;
        }
        ui_status_log(app, UI_LOG_ERROR, "%s; left alone", errbuf);
        offers.next++;
    }
    end_offers();
}

void ui_recovery_offer(ui_app *app)
{
    if (app->read_only || offers.paths)
        return;
    offers.count = ui_recovery_pending(app->store, &offers.paths);
    offers.next = 0;
    if (offers.count > 0)
        ui_status_log(app, UI_LOG_INFO, "%zu unsaved edit(s) from an earlier run", offers.count);
    offer_next(app);
}
