/*
 * genoddlog.c - a deterministic access log in bench/run.sh's log_format
 * whose values are often odd: escapes (\x22, \\, \u00e9), the next
 * literal inside a field, upstream lists with groups, dashes and empty
 * items, malformed numbers and times, seconds 60 and 61, a zone past
 * +14:00, queries with %-escapes, '+' and forty keys. About a quarter of
 * the fields of a line take an odd value, so about half of the lines are
 * requests and half rejects.
 *
 *   genoddlog LINES [SEED] > odd.log
 *
 * For A/B checks of the log_format reader that must keep every record
 * (tests/tools/compare_parse.sh, tests/tools/compare_ingest.sh with
 * --log-format as in bench/ab_ingest_threads.sh; also with escape=json
 * and escape=none before the quoted format). Same arguments, same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint32_t
next_rand(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 11);
}

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const addrs[] = {
	"1.2.3.4", "2001:db8::1", "fe80::1%eth0", "unix:", "-",
	"10.0.0.1, 10.0.0.2", "1.2.3.4,5.6.7.8", "::ffff:1.2.3.4", "abc", "",
	"u",
};
static const char *const users[] = {
	"-", "bob", "a b", "a [b", "x\\x22y", "[", "a ] [", "\\", "\xc3\xa9",
};
static const char *const minutes[] = {	/* then the seconds, a zone */
	"25/Nov/2026:10:00", "25/Nov/2026:10:01", "29/Feb/2023:10:00",
};
static const char *const zones[] = { "+0000", "-0130", "+1500" };
static const char *const requests[] = {
	"GET /a?b=1&c=&d=x HTTP/1.1", "-", "GET / HTTP/1.0",
	"\\x16\\x03\\x01", "GET /\\\"q HTTP/1.1", "GET /a b HTTP/1.1", "",
	"GET http://h:8/p?q=1 HTTP/1.1", "CONNECT h:443 HTTP/1.1",
	"GET /%41?%6b=1&x+y=2&%00=3 HTTP/2.0",
	"POST /x?a=1&a=2&b=-3.5&c=.&d=+1 HTTP/1.1", "GET ?a=1 HTTP/1.1",
	"GET /p?k0=0&k1=1&k2=2&k3=3&k4=4&k5=5&k6=6&k7=7&k8=8&k9=9&k10=10&"
	"k11=11&k12=12&k13=13&k14=14&k15=15&k16=16&k17=17&k18=18&k19=19&"
	"k20=20&k21=21&k22=22&k23=23&k24=24&k25=25&k26=26&k27=27&k28=28&"
	"k29=29&k30=30&k31=31&k32=32&k33=33&k34=34 HTTP/1.1",
};
static const char *const statuses[] = { "200", "502", "-", "499", "20" };
static const char *const bytes[] = { "0", "123", "-", "12a" };
static const char *const rts[] = {
	"0.004", "12", "-", "1.", "0.0001", "99999999999999999999.5", "0.5",
};
static const char *const uaddrs[] = {
	"10.0.0.1:80", "10.0.0.1:80, 10.0.0.2:80", "a:1 : b:2", "-",
	"unix:/s", "x,y", "a, ", "a : b : c", "10.0.0.1:80, -", "",
	"u1, u2 : u3, u4, u5", "[2001:db8::7]:8443, averyveryverylongname:80",
};
static const char *const uss[] = {
	"200", "502, 200", "- : 504", "-", "50", "502,200",
	"502, 503, 504, 200", "",
};
static const char *const uts[] = {
	"0.004", "0.001, 0.002", "- : 0.5", "-", "", "1.5, 2 : 3", "0.000, -",
};
static const char *const rids[] = { "abc", "-", "0123456789abcdef" };
static const char *const uas[] = {
	"Mozilla/5.0", "curl/8 \\\"x\\\"", "a\\\\b", "-", "\\x00", "\\u00e9",
};
static const char *const hosts[] = { "h.example", "-", "app1" };

/* The first (plain) value three times in four, else any. */
#define PICK(a)	((a)[next_rand() % 4 != 0 ? 0 : next_rand() % N(a)])

int
main(int argc, char **argv)
{
	long lines;

	if (argc < 2 || (lines = strtol(argv[1], NULL, 10)) < 0) {
		fprintf(stderr, "usage: genoddlog LINES [SEED]\n");
		return 2;
	}
	if (argc > 2)
		state ^= strtoull(argv[2], NULL, 10) * 0x2545f4914f6cdd1dull;
	for (long i = 0; i < lines; i++) {
		const char *minute = PICK(minutes);
		int second = (int)(next_rand() % 62);

		printf("%s - %s [%s:%02d %s] \"%s\" %s %s \"%s\" \"%s\" rt=%s "
		    "uaddr=\"%s\" us=\"%s\" uct=\"%s\" uht=\"%s\" urt=\"%s\" "
		    "rid=%s host=%s\n", PICK(addrs), PICK(users), minute,
		    second, PICK(zones), PICK(requests), PICK(statuses), PICK(bytes), PICK(uas),
		    PICK(uas), PICK(rts), PICK(uaddrs), PICK(uss), PICK(uts),
		    PICK(uts), PICK(uts), PICK(rids), PICK(hosts));
	}
	return 0;
}
