/* A strict RFC 8259 lexer that validates as it goes and never allocates or recurses. */
#include <stdio.h>
#include <string.h>

#include "kv.h"

/* What the lexer expects next; the container kind comes from the bit stack. */
enum lexer_state {
    S_TOP_VALUE,
    S_ARRAY_FIRST,  /* after '[': a value or ']' */
    S_ARRAY_NEXT,   /* after ',' in an array: a value */
    S_OBJECT_FIRST, /* after '{': a key or '}' */
    S_OBJECT_NEXT,  /* after ',' in an object: a key */
    S_COLON,
    S_MEMBER_VALUE, /* after ':' */
    S_AFTER_VALUE,  /* ',' or the close of the current container */
    S_END,          /* only whitespace may follow the top-level value */
    S_DONE,
    S_FAILED
};

void kv_json_lexer_init(kv_json_lexer *lexer, const char *text, size_t len)
{
    memset(lexer, 0, sizeof *lexer);
    lexer->text = text;
    lexer->len = len;
    lexer->state = S_TOP_VALUE;
}

/* Line and column are counted only when an error happens, so lexing valid text stays cheap. */
static int fail(kv_json_lexer *lexer, size_t offset, const char *message)
{
    kv_json_error *error = &lexer->error;
    size_t line_start = 0;
    unsigned line = 1;
    for (size_t i = 0; i < offset && i < lexer->len; i++) {
        if (lexer->text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    error->offset = offset;
    error->line = line;
    error->column = (unsigned)(offset - line_start + 1);
    snprintf(error->message, sizeof error->message, "%s", message);
    lexer->state = S_FAILED;
    return -1;
}

/* Names the offending byte in a message: 'x' when printable, else its hex value. */
static int fail_at_byte(kv_json_lexer *lexer, size_t offset, const char *what)
{
    char message[sizeof lexer->error.message];
    unsigned char c = (unsigned char)lexer->text[offset];
    if (c > 0x20 && c < 0x7f)
        snprintf(message, sizeof message, "%s, found '%c'", what, c);
    else
        snprintf(message, sizeof message, "%s, found byte 0x%02x", what, c);
    return fail(lexer, offset, message);
}

static bool stack_is_object(const kv_json_lexer *lexer)
{
    unsigned level = lexer->depth - 1;
    return (lexer->stack[level / 8] >> (level % 8)) & 1u;
}

static void stack_push(kv_json_lexer *lexer, bool object)
{
    unsigned level = lexer->depth;
    uint8_t bit = (uint8_t)(1u << (level % 8));
    if (object)
        lexer->stack[level / 8] |= bit;
    else
        lexer->stack[level / 8] &= (uint8_t)~bit;
    lexer->depth++;
}

static void emit(kv_json_lexer *lexer, kv_json_token *token, kv_json_token_kind kind,
                 size_t end, unsigned depth)
{
    token->kind = kind;
    token->offset = lexer->pos;
    token->length = end - lexer->pos;
    token->depth = depth;
    lexer->pos = end;
}

static void after_value(kv_json_lexer *lexer)
{
    lexer->state = lexer->depth == 0 ? S_END : S_AFTER_VALUE;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence starting at P (lead byte >= 0x80), or 0 when it is not
 * one: overlongs, UTF-8 encoded surrogates and code points above U+10FFFF are rejected. */
static size_t utf8_sequence(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c >= 0xe0 && c <= 0xef)
        need = 2;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 3;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (avail < need + 1 || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i <= need; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return need + 1;
}

/* The size_t-returning scanners report failure as 0. */
static size_t fail_zero(kv_json_lexer *lexer, size_t offset, const char *message)
{
    fail(lexer, offset, message);
    return 0;
}

/* Checks the escape at P (just after the backslash); returns its length after the backslash,
 * or 0 after failing. */
static size_t lex_escape(kv_json_lexer *lexer, size_t p)
{
    const unsigned char *s = (const unsigned char *)lexer->text;
    if (p >= lexer->len)
        return fail_zero(lexer, p, "unexpected end of input in a string");
    if (s[p] != '\0' && strchr("\"\\/bfnrt", s[p]))
        return 1;
    if (s[p] != 'u') {
        char message[64];
        if (s[p] > 0x20 && s[p] < 0x7f)
            snprintf(message, sizeof message, "invalid escape \\%c", s[p]);
        else
            snprintf(message, sizeof message, "invalid escape: backslash before byte 0x%02x", s[p]);
        return fail_zero(lexer, p - 1, message);
    }
    for (size_t i = 1; i <= 4; i++) {
        if (p + i >= lexer->len)
            return fail_zero(lexer, p + i, "unexpected end of input in a \\u escape");
        if (!is_hex(s[p + i]))
            return fail_zero(lexer, p + i, "\\u escape needs 4 hex digits");
    }
    return 5;
}

/* Finds the closing quote of the string starting at lexer->pos; 0 after failing. */
static size_t lex_string_end(kv_json_lexer *lexer)
{
    const unsigned char *s = (const unsigned char *)lexer->text;
    size_t len = lexer->len;
    size_t p = lexer->pos + 1;
    for (;;) {
        while (p < len && s[p] >= 0x20 && s[p] < 0x80 && s[p] != '"' && s[p] != '\\')
            p++;
        if (p >= len)
            return fail_zero(lexer, len, "unexpected end of input in a string (missing '\"')");
        unsigned char c = s[p];
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            size_t n = lex_escape(lexer, p + 1);
            if (n == 0)
                return 0;
            p += 1 + n;
        } else if (c < 0x20) {
            return fail_zero(lexer, p, "control character in a string (use an escape)");
        } else {
            size_t n = utf8_sequence(s + p, len - p);
            if (n == 0)
                return fail_zero(lexer, p, "invalid UTF-8 in a string");
            p += n;
        }
    }
}

static size_t skip_digits(const unsigned char *s, size_t p, size_t len)
{
    while (p < len && is_digit(s[p]))
        p++;
    return p;
}

/* Returns the end of the number at lexer->pos, or 0 after failing. */
static size_t lex_number_end(kv_json_lexer *lexer)
{
    const unsigned char *s = (const unsigned char *)lexer->text;
    size_t len = lexer->len;
    size_t p = lexer->pos;
    if (s[p] == '-')
        p++;
    if (p >= len || !is_digit(s[p]))
        return fail_zero(lexer, p, p >= len ? "unexpected end of input in a number"
                                       : "expected a digit in a number");
    if (s[p] == '0') {
        p++;
        if (p < len && is_digit(s[p]))
            return fail_zero(lexer, p, "leading zeros are not allowed in numbers");
    } else {
        p = skip_digits(s, p, len);
    }
    if (p < len && s[p] == '.') {
        p++;
        if (p >= len || !is_digit(s[p]))
            return fail_zero(lexer, p, "expected a digit after '.' in a number");
        p = skip_digits(s, p, len);
    }
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= len || !is_digit(s[p]))
            return fail_zero(lexer, p, "expected a digit in a number's exponent");
        p = skip_digits(s, p, len);
    }
    return p;
}

static int lex_literal(kv_json_lexer *lexer, kv_json_token *token, const char *word,
                       kv_json_token_kind kind)
{
    size_t n = strlen(word);
    size_t avail = lexer->len - lexer->pos;
    if (avail < n || memcmp(lexer->text + lexer->pos, word, n) != 0) {
        char message[64];
        snprintf(message, sizeof message, "invalid literal (expected '%s')", word);
        return fail(lexer, lexer->pos, message);
    }
    emit(lexer, token, kind, lexer->pos + n, lexer->depth);
    after_value(lexer);
    return 1;
}

static int open_container(kv_json_lexer *lexer, kv_json_token *token, bool object)
{
    if (lexer->depth >= KV_JSON_MAX_DEPTH) {
        char message[64];
        snprintf(message, sizeof message, "nesting deeper than %d levels", KV_JSON_MAX_DEPTH);
        return fail(lexer, lexer->pos, message);
    }
    emit(lexer, token, object ? KV_JSON_OBJECT_OPEN : KV_JSON_ARRAY_OPEN, lexer->pos + 1,
         lexer->depth);
    stack_push(lexer, object);
    lexer->state = object ? S_OBJECT_FIRST : S_ARRAY_FIRST;
    return 1;
}

static int close_container(kv_json_lexer *lexer, kv_json_token *token)
{
    bool object = stack_is_object(lexer);
    lexer->depth--;
    emit(lexer, token, object ? KV_JSON_OBJECT_CLOSE : KV_JSON_ARRAY_CLOSE, lexer->pos + 1,
         lexer->depth);
    after_value(lexer);
    return 1;
}

static int lex_string(kv_json_lexer *lexer, kv_json_token *token, kv_json_token_kind kind)
{
    size_t end = lex_string_end(lexer);
    if (end == 0)
        return -1;
    emit(lexer, token, kind, end, lexer->depth);
    if (kind == KV_JSON_KEY)
        lexer->state = S_COLON;
    else
        after_value(lexer);
    return 1;
}

static int lex_value(kv_json_lexer *lexer, kv_json_token *token)
{
    unsigned char c = (unsigned char)lexer->text[lexer->pos];
    switch (c) {
    case '{':
        return open_container(lexer, token, true);
    case '[':
        return open_container(lexer, token, false);
    case '"':
        return lex_string(lexer, token, KV_JSON_STRING);
    case 't':
        return lex_literal(lexer, token, "true", KV_JSON_TRUE);
    case 'f':
        return lex_literal(lexer, token, "false", KV_JSON_FALSE);
    case 'n':
        return lex_literal(lexer, token, "null", KV_JSON_NULL);
    default:
        break;
    }
    if (c == '-' || is_digit(c)) {
        size_t end = lex_number_end(lexer);
        if (end == 0)
            return -1;
        emit(lexer, token, KV_JSON_NUMBER, end, lexer->depth);
        after_value(lexer);
        return 1;
    }
    return fail_at_byte(lexer, lexer->pos, "expected a value");
}

static int lex_key(kv_json_lexer *lexer, kv_json_token *token, bool after_comma)
{
    char c = lexer->text[lexer->pos];
    if (c == '"')
        return lex_string(lexer, token, KV_JSON_KEY);
    if (c == '}' && !after_comma)
        return close_container(lexer, token);
    if (c == '}')
        return fail(lexer, lexer->pos, "trailing comma before '}'");
    return fail_at_byte(lexer, lexer->pos,
                        after_comma ? "expected a string key after ','"
                                    : "expected a string key or '}'");
}

static int lex_punct(kv_json_lexer *lexer, kv_json_token *token, kv_json_token_kind kind,
                     int next_state)
{
    emit(lexer, token, kind, lexer->pos + 1, lexer->depth);
    lexer->state = next_state;
    return 1;
}

static int lex_after_value(kv_json_lexer *lexer, kv_json_token *token)
{
    char c = lexer->text[lexer->pos];
    bool object = stack_is_object(lexer);
    if (c == ',')
        return lex_punct(lexer, token, KV_JSON_COMMA, object ? S_OBJECT_NEXT : S_ARRAY_NEXT);
    if (c == (object ? '}' : ']'))
        return close_container(lexer, token);
    return fail_at_byte(lexer, lexer->pos,
                        object ? "expected ',' or '}' after object member"
                               : "expected ',' or ']' after array element");
}

static void skip_whitespace(kv_json_lexer *lexer)
{
    const char *s = lexer->text;
    size_t p = lexer->pos;
    while (p < lexer->len && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t'))
        p++;
    lexer->pos = p;
}

static int lex_in_state(kv_json_lexer *lexer, kv_json_token *token)
{
    char c = lexer->text[lexer->pos];
    switch (lexer->state) {
    case S_ARRAY_FIRST:
        if (c == ']')
            return close_container(lexer, token);
        return lex_value(lexer, token);
    case S_ARRAY_NEXT:
        if (c == ']')
            return fail(lexer, lexer->pos, "trailing comma before ']'");
        return lex_value(lexer, token);
    case S_TOP_VALUE:
    case S_MEMBER_VALUE:
        return lex_value(lexer, token);
    case S_OBJECT_FIRST:
        return lex_key(lexer, token, false);
    case S_OBJECT_NEXT:
        return lex_key(lexer, token, true);
    case S_COLON:
        if (c == ':')
            return lex_punct(lexer, token, KV_JSON_COLON, S_MEMBER_VALUE);
        return fail_at_byte(lexer, lexer->pos, "expected ':' after object key");
    case S_AFTER_VALUE:
        return lex_after_value(lexer, token);
    default:
        return fail_at_byte(lexer, lexer->pos, "unexpected data after the JSON value");
    }
}

int kv_json_lexer_next(kv_json_lexer *lexer, kv_json_token *token)
{
    if (lexer->state == S_DONE)
        return 0;
    if (lexer->state == S_FAILED)
        return -1;
    skip_whitespace(lexer);
    if (lexer->pos >= lexer->len) {
        if (lexer->state == S_END) {
            lexer->state = S_DONE;
            return 0;
        }
        return fail(lexer, lexer->len, "unexpected end of input");
    }
    return lex_in_state(lexer, token);
}

bool kv_json_valid(const char *text, size_t len, kv_json_error *error)
{
    kv_json_lexer lexer;
    kv_json_token token;
    int rc;
    kv_json_lexer_init(&lexer, text, len);
    while ((rc = kv_json_lexer_next(&lexer, &token)) > 0)
        ;
    if (rc < 0 && error)
        *error = lexer.error;
    return rc == 0;
}
