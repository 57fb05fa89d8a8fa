/* Rego lexer (internal to libcocoon-rego).
 *
 * The lexer turns Rego source into tokens on demand; the parser keeps a copy
 * of the lexer state to backtrack (OPA's parser does the same). It follows
 * OPA's scanner (v1/ast/internal/scanner/scanner.go): identifiers are ASCII
 * letters, digits and `_`; whitespace and `#` comments are skipped but
 * recorded on the next token (RTF_WS, RTF_NL) because the grammar depends
 * on them: `a.b` is a ref and `a .b` is not, and a newline ends an
 * expression in a body.
 *
 * Keywords are lexed as RT_IDENT with `kw` naming the keyword: whether a
 * word such as `in` or `if` is a keyword depends on the Rego version and the
 * module's imports, which the parser knows.
 *
 * The source must have passed rlex_check_source() first: it rejects NUL
 * bytes, invalid UTF-8 and stray byte-order marks, so the scanner can treat
 * every byte >= 0x80 as part of a valid multi-byte character.
 */
#ifndef COCOON_REGO_LEXER_H
#define COCOON_REGO_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtok_kind {
	RT_ILLEGAL = 0,
	RT_EOF,
	RT_IDENT,
	RT_NUMBER,
	RT_STRING,     /* "..." or `...` (text includes the quotes) */
	RT_TPART,      /* template string part ending at `{` (text: content) */
	RT_TEND,       /* template string part ending the string */
	RT_LBRACK,
	RT_RBRACK,
	RT_LBRACE,
	RT_RBRACE,
	RT_LPAREN,
	RT_RPAREN,
	RT_COMMA,
	RT_COLON,
	RT_ADD,
	RT_SUB,
	RT_MUL,
	RT_QUO,
	RT_REM,
	RT_AND,
	RT_OR,
	RT_UNIFY,  /* = */
	RT_EQUAL,  /* == */
	RT_ASSIGN, /* := */
	RT_NEQ,
	RT_GT,
	RT_LT,
	RT_GTE,
	RT_LTE,
	RT_DOT,
	RT_SEMI,
	/* Keywords (values of rtoken.kw, and effective kinds in the parser). */
	RT_KW_FIRST,
	RT_PACKAGE = RT_KW_FIRST,
	RT_IMPORT,
	RT_AS,
	RT_DEFAULT,
	RT_ELSE,
	RT_NOT,
	RT_SOME,
	RT_WITH,
	RT_NULL,
	RT_TRUE,
	RT_FALSE,
	/* Future keywords: always keywords in Rego v1; in v0 only after
	 * `import future.keywords[.x]` or `import rego.v1`. */
	RT_IN,
	RT_EVERY,
	RT_CONTAINS,
	RT_IF,
	RT_KW_LAST = RT_IF,
	RT_NKINDS,
};

/* rtoken.flags */
#define RTF_WS 0x01    /* whitespace or a comment precedes the token */
#define RTF_NL 0x02    /* a newline precedes the token */
#define RTF_RAW 0x04   /* RT_STRING/RT_TPART/RT_TEND: backquoted form */
#define RTF_IDENT 0x08 /* parser override: treat this keyword as an identifier */

struct rtoken {
	uint8_t kind;    /* enum rtok_kind */
	uint8_t kw;      /* RT_IDENT spelled like a keyword: that keyword, else 0 */
	uint8_t flags;   /* RTF_* */
	uint32_t line;   /* 1-based */
	uint32_t col;    /* 1-based, bytes */
	size_t off;      /* token text: src[off, off + len) */
	size_t len;
	const char *err; /* RT_ILLEGAL: scanner message (static), or NULL */
};

/* Cursor over the source: the position of the next unread byte. */
struct rlexer {
	const char *src;
	size_t len;
	size_t off;
	uint32_t line;
	uint32_t col;
};

/* Starts at the beginning of src (skipping a leading byte-order mark). */
void rlex_init(struct rlexer *lx, const char *src, size_t len);

/* Scans the next token into *t (never fails: errors give RT_ILLEGAL). */
void rlex_scan(struct rlexer *lx, struct rtoken *t);

/* Continues a template string after the `}` that closed an interpolated
 * expression: gives RT_TPART or RT_TEND (or RT_ILLEGAL). */
void rlex_template(struct rlexer *lx, struct rtoken *t, bool raw);

/* Printable name of a token kind, as OPA's tokens.Token.String(). */
const char *rlex_kind_name(int kind);

/* Checks the whole source before lexing: no NUL bytes, valid UTF-8, no
 * byte-order mark except at the start, at most max_lines lines of at most
 * max_line bytes. Returns 0, or -EINVAL with *msg, *line, *col naming the
 * first problem. */
int rlex_check_source(const char *src, size_t len, size_t max_line,
                      size_t max_lines, const char **msg, uint32_t *line,
                      uint32_t *col);

/* Decodes the body of a string literal (without the quotes) into out,
 * which must have room for n bytes (decoding never grows the text).
 * JSON escapes (\" \\ \/ \b \f \n \r \t \uXXXX with surrogate pairs; a lone
 * surrogate becomes U+FFFD as in Go's encoding/json); with `tmpl`, `\{` is
 * `{` too. Returns 0 and *outlen, or -EINVAL on a bad escape or a control
 * character (OPA: "illegal string literal"). */
int rlex_unescape(const char *p, size_t n, bool tmpl, char *out, size_t *outlen);

#endif
