/*
 * command_lexer.c - split a command line (the `:` line, a keymap file line) into words with
 * shell-like quoting, so `upsert "my key" '{"a": 1}'` means what it means in a shell.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

typedef struct word_buffer {
    char *text;
    size_t len, cap;
    bool started; /* a word exists even when empty ("" or '') */
} word_buffer;

typedef struct word_list {
    char **items;
    int count;
} word_list;

static void word_push(word_buffer *word, char c)
{
    if (word->len + 1 >= word->cap) {
        word->cap = word->cap ? word->cap * 2 : 32;
        word->text = realloc(word->text, word->cap);
        if (!word->text)
            abort();
    }
    word->text[word->len++] = c;
    word->started = true;
}

static void list_push(word_list *list, word_buffer *word)
{
    if (!word->started)
        return;
    word_push(word, '\0');
    list->items = realloc(list->items, (size_t)(list->count + 2) * sizeof *list->items);
    if (!list->items)
        abort();
    list->items[list->count++] = word->text;
    list->items[list->count] = NULL;
    *word = (word_buffer){0};
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Inside double quotes a backslash escapes only these, as in POSIX sh. */
static bool double_quote_escapable(char c)
{
    return c == '"' || c == '\\' || c == '$' || c == '`';
}

/* Consume one quoted section starting at line[*pos] (the quote); false if it never closes. */
static bool lex_quoted(const char *line, size_t *pos, word_buffer *word)
{
    char quote = line[*pos];
    word->started = true;
    for (size_t i = *pos + 1; line[i]; i++) {
        if (line[i] == quote) {
            *pos = i;
            return true;
        }
        if (quote == '"' && line[i] == '\\' && double_quote_escapable(line[i + 1]))
            i++;
        word_push(word, line[i]);
    }
    return false;
}

static kv_status lex_error(size_t column, size_t *error_column, char *errbuf, size_t errbuf_len,
                           const char *what)
{
    if (error_column)
        *error_column = column;
    if (errbuf && errbuf_len)
        snprintf(errbuf, errbuf_len, "%s at column %zu", what, column);
    return KV_ERR_ARGUMENT;
}

static kv_status lex_line(const char *line, word_list *list, word_buffer *word,
                          size_t *error_column, char *errbuf, size_t errbuf_len)
{
    for (size_t i = 0; line[i]; i++) {
        char c = line[i];
        if (is_space(c)) {
            list_push(list, word);
        } else if (c == '#' && !word->started) {
            break;
        } else if (c == '\'' || c == '"') {
            size_t start = i;
            if (!lex_quoted(line, &i, word))
                return lex_error(start + 1, error_column, errbuf, errbuf_len,
                                 c == '\'' ? "unterminated ' quote starting"
                                           : "unterminated \" quote starting");
        } else if (c == '\\') {
            if (!line[i + 1])
                return lex_error(i + 1, error_column, errbuf, errbuf_len, "trailing backslash");
            word_push(word, line[++i]);
        } else {
            word_push(word, c);
        }
    }
    list_push(list, word);
    return KV_OK;
}

kv_status kv_command_split(const char *line, int *argc, char ***argv, size_t *error_column,
                           char *errbuf, size_t errbuf_len)
{
    word_list list = {0};
    word_buffer word = {0};
    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
    kv_status st = lex_line(line, &list, &word, error_column, errbuf, errbuf_len);
    free(word.text);
    if (st != KV_OK) {
        kv_command_argv_free(list.items);
        *argc = 0;
        *argv = NULL;
        return st;
    }
    if (!list.items) {
        list.items = calloc(1, sizeof *list.items);
        if (!list.items)
            abort();
    }
    *argc = list.count;
    *argv = list.items;
    return KV_OK;
}

void kv_command_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}
