/*
 * recovery.h - unsaved edits kept on disk, so a crash, a kill -9 or a closed terminal never loses
 * one. There is one file per store, key and kvtui process under $XDG_STATE_HOME/kvtui/recovery/
 * (the folder 0700, the files 0600), named from hashes of the store and the key and the process
 * id; files of a kvtui still running are its own, never offered to another. A file holds a one-line
 * JSON header (store, key, the CAS, flags, form and expiry the edit was based on, the cursor),
 * then the edit, then the text it was based on (the base of a later 3-way merge). Files are
 * replaced atomically (a temporary file, then rename), so a kill mid-write leaves the previous
 * copy. No curses here.
 */
#ifndef UI_RECOVERY_H
#define UI_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edit_text.h"
#include "kv.h"

#define UI_RECOVERY_STORE_MAX 512

typedef struct ui_recovery {
    char store[UI_RECOVERY_STORE_MAX]; /* the connection string the TUI was opened with */
    char key[KV_KEY_MAX + 1];
    size_t key_len;
    uint64_t base_cas; /* the CAS the edit was based on: saving it will conflict if it changed */
    uint32_t flags;
    ui_edit_form form;
    int64_t base_expiry; /* absolute, 0 = none */
    int64_t saved_at;    /* when the file was written (Unix time) */
    size_t cursor;       /* byte offset of the cursor in MINE */
    char *mine;          /* the edit (NUL-terminated, malloc'd by ui_recovery_read) */
    size_t mine_len;
    char *base; /* the text as loaded */
    size_t base_len;
} ui_recovery;

/* $XDG_STATE_HOME/kvtui/recovery (default ~/.local/state/kvtui/recovery), created 0700. */
bool ui_recovery_dir(char *out, size_t out_len);
/* This process's file for STORE and KEY (the folder is created). Each kvtui process writes its
 * own, so two windows editing one key never overwrite or delete each other's copy. */
bool ui_recovery_path(const char *store, const char *key, size_t key_len, char *out,
                      size_t out_len);
/* Write (or replace) the recovery file of R->store and R->key; its path goes to PATH_OUT when
 * not NULL. */
kv_status ui_recovery_write(const ui_recovery *recovery, char *path_out, size_t path_len,
                            char *errbuf, size_t errbuf_len);
/* Read the recovery file at PATH into RECOVERY (free with ui_recovery_free). A damaged file is
 * KV_ERR_VALUE_FORMAT. */
kv_status ui_recovery_read(const char *path, ui_recovery *recovery, char *errbuf,
                           size_t errbuf_len);
void ui_recovery_free(ui_recovery *recovery);
/* Delete the recovery file of STORE and KEY; true when there was one. */
bool ui_recovery_remove(const char *store, const char *key, size_t key_len);
/* The recovery files of STORE left by kvtui processes that are gone (a running one is still
 * editing), sorted by name: *PATHS is a malloc'd array of malloc'd paths. */
size_t ui_recovery_pending(const char *store, char ***paths);
/* Such a file for STORE and KEY, if any, in OUT. */
bool ui_recovery_find(const char *store, const char *key, size_t key_len, char *out,
                      size_t out_len);
/* Make the file at PATH this process's own copy for STORE and KEY (it is renamed). */
bool ui_recovery_adopt(const char *path, const char *store, const char *key, size_t key_len);
void ui_recovery_list_free(char **paths, size_t count);

#endif /* UI_RECOVERY_H */
