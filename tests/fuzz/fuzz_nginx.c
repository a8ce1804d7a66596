/*
 * fuzz_nginx.c - nginx's logs: every line of the input is parsed by each
 * built-in access log_format (parse/logformat.c: combined, main,
 * ingress-nginx, apisix, upstream - the cause inference of
 * parse/access_cause.c included) and as an error-log line
 * (parse/nginx_error.c). Seeds: tests/data/demo's access.log and
 * error.log, tests/data/formats/apache-combined.log.
 */
#include <stdbool.h>

#include "core/arena.h"
#include "core/event.h"
#include "tests/fuzz/fuzz.h"
#include "parse/logformat.h"
#include "parse/nginx_error.h"

static const char *const builtin[] = {
	"combined", "main", "ingress-nginx", "apisix", "upstream"
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

static struct logformat *formats[NBUILTIN];
static struct arena *arena;

/* Compile the built-in formats once: they are not the input. */
static void
fuzz_init(void)
{
	char err[256];

	if (arena != NULL)
		return;
	arena = arena_new();
	for (size_t i = 0; i < NBUILTIN; i++)
		if (logformat_compile(logformat_builtin(builtin[i]), 60,
		    &formats[i], err, sizeof(err)) != 0)
			abort();	/* the harness is broken, not the input */
	if (arena == NULL)
		abort();
}

static void
one_line(void *ctx, const char *line, size_t len, uint64_t no, uint64_t off)
{
	struct gw_gateway_error ge;
	const char *reason = NULL;

	(void)ctx;
	for (size_t i = 0; i < NBUILTIN; i++) {
		struct gw_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.line_no = no;
		ev.offset = off;
		if (logformat_parse(formats[i], line, len, arena, &ev,
		    &reason) == FORMAT_EVENT && !fuzz_event_lens_ok(&ev))
			abort();	/* a length that is not strlen's */
		arena_reset(arena);
	}
	if (nginx_error_match(line, len)) {
		memset(&ge, 0, sizeof(ge));
		(void)nginx_error_parse(line, len, arena, &ge, &reason);
	}
	memset(&ge, 0, sizeof(ge));
	(void)nginx_error_parse(line, len, arena, &ge, &reason);
	(void)nginx_error_cause(line, len);
	arena_reset(arena);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	fuzz_lines(data, size, one_line, NULL);
	return 0;
}
