# gatewatch - one flat Makefile.
#
#   make            build ./gatewatch
#   make deps       install the missing Debian packages (apt-get), no-op if present
#   make test-deps  deps plus what the end-to-end tests run (nginx, tmux, ...)
#   make check      -Wall -Wextra -Werror build, every test; then again under
#                   AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       build and ingest + report the bundled sample
#   make bench      benchmarks (prints figures; never part of check)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Objects go to $(O) (build/ by default; build-san/ for the sanitizer pass).

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
O        ?= build
SAN      ?=
PKG_CONFIG ?= pkg-config

PKGS     := libpcap libpcre2-8 sqlite3 ncursesw zlib json-c
TEST_PKGS := cmocka
DEB_PKGS := pkg-config libpcap-dev libpcre2-dev libsqlite3-dev libncurses-dev \
            zlib1g-dev libjson-c-dev libhttp-parser-dev libcmocka-dev
TEST_DEB_PKGS := nginx-light haproxy caddy tmux tcpdump sqlite3 procps

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
            -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Icore -Icapture -Iparse -Istore -Ianalyze -Itui -I$(O)
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread -lm
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

VERSION  := 0.1.0

LIB_SRC  := $(wildcard core/*.c capture/*.c parse/*.c store/*.c analyze/*.c tui/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
SCHEMA   := $(sort $(wildcard schema/*.sql))

LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o) $(O)/schema_sql.o
CLI_OBJ  := $(CLI_SRC:%.c=$(O)/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(O)/tools/%)

BIN      := gatewatch

.PHONY: all deps test-deps bench-deps check test unit e2e demo bench install clean

all: $(BIN)

$(BIN): $(O)/gatewatch
ifeq ($(O),build)
	cp $< $@
endif

$(O)/gatewatch: $(CLI_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DGW_VERSION='"$(VERSION)"' $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# schema/*.sql embedded in the binary, applied in order by PRAGMA user_version.
$(O)/schema_sql.c: $(SCHEMA) Makefile
	@mkdir -p $(O)
	{ echo '/* generated from schema/NNN_name.sql by the Makefile; do not edit */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const char *const gw_schema_sql[] = {'; \
	  for f in $(SCHEMA); do \
	    echo "/* $$(basename $$f) */"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
	    echo ','; \
	  done; \
	  echo 'NULL };'; \
	  echo 'const char *const gw_schema_names[] = {'; \
	  for f in $(SCHEMA); do echo "\"$$(basename $$f)\","; done; \
	  echo 'NULL };'; } > $@

$(O)/schema_sql.o: $(O)/schema_sql.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) \
	    -MMD -MP $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS) $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

$(O)/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

deps:
	@missing=""; \
	for p in $(PKGS) $(TEST_PKGS); do \
	  $(PKG_CONFIG) --exists $$p 2>/dev/null || missing=yes; \
	done; \
	[ -f /usr/include/http_parser.h ] || missing=yes; \
	if [ -n "$$missing" ]; then \
	  echo "installing build dependencies: $(DEB_PKGS)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEB_PKGS); \
	fi

test-deps: deps
	@missing=""; \
	for c in nginx haproxy caddy tmux tcpdump sqlite3 pgrep; do \
	  command -v $$c >/dev/null 2>&1 || [ -x /usr/sbin/$$c ] || missing=yes; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test dependencies: $(TEST_DEB_PKGS)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TEST_DEB_PKGS); \
	fi

# One variant: build, unit tests, end-to-end tests.
test: $(O)/gatewatch $(TEST_BIN) $(TOOL_BIN)
	@GW_BUILD=$(O) tests/run.sh $(TEST_BIN)

check: test-deps
	$(MAKE) O=build test
	$(MAKE) O=build-san SAN=1 test
	@echo "make check: all tests passed (plain and ASan+UBSan)"

demo: deps
	$(MAKE) $(BIN)
	rm -f demo.db
	./gatewatch ingest -d demo.db tests/data/demo/access.log tests/data/demo/error.log
	./gatewatch report -d demo.db --by upstream,cause
	./gatewatch report -d demo.db --by cause

# What the benchmarks compare against (tshark for captures, GoAccess for
# ingest) and profile with (perf); never in check.
BENCH_DEB_PKGS := tshark goaccess linux-perf

bench-deps: test-deps
	@missing=""; \
	for c in tshark goaccess perf; do \
	  command -v $$c >/dev/null 2>&1 || missing=yes; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing benchmark dependencies: $(BENCH_DEB_PKGS)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BENCH_DEB_PKGS); \
	fi

bench: bench-deps $(BIN) $(O)/gatewatch $(TOOL_BIN)
	GW_BUILD=$(O) bench/run.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/$(BIN)

clean:
	rm -rf build build-san $(BIN) demo.db

-include $(shell find $(O) -name '*.d' 2>/dev/null)
