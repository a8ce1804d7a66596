# gatewatch - one flat Makefile.
#
#   make            build ./gatewatch
#   make deps       install the missing Debian packages (apt-get), no-op if present
#   make test-deps  deps plus what the end-to-end tests run (nginx, tmux, ...)
#   make check      -Wall -Wextra -Werror build, every test; then again under
#                   AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       build and ingest + report the bundled sample
#   make bench      benchmarks (prints figures; never part of check)
#   make fuzz       every libFuzzer harness of tests/fuzz for FUZZ_SECONDS
#                   (60) each; make check replays their seeds and saved
#                   crashes and fuzzes FUZZ_CHECK_SECONDS (20) each
#   make fuzz-deps  clang and libFuzzer (Debian's), no-op if present
#   make install    PREFIX=/usr/local DESTDIR= (install-systemd: the units)
#
# Objects go to $(O) (build/ by default; build-san/ for the sanitizer pass;
# build-fuzz/ for the fuzzing build, made with clang).

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
O        ?= build
SAN      ?=
PKG_CONFIG ?= pkg-config

PKGS     := libpcap libpcre2-8 sqlite3 ncursesw zlib libzstd json-c libmicrohttpd
TEST_PKGS := cmocka
DEB_PKGS := pkg-config libpcap-dev libpcre2-dev libsqlite3-dev libncurses-dev \
            zlib1g-dev libjson-c-dev libhttp-parser-dev libcmocka-dev \
            libmicrohttpd-dev libzstd-dev
TEST_DEB_PKGS := nginx-light haproxy caddy tmux tcpdump sqlite3 procps prometheus \
                 curl jq

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
            -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -I. -I$(O)
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread -lm
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
# TSAN=1 (with O=build-tsan): ThreadSanitizer instead, for the threads of
# ingest, tail and capture (the console beside them: tui_modes_e2e.sh).
ifneq ($(TSAN),)
ALL_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=thread
endif
# The fuzzing build (make fuzz-build sets FUZZ=1, CC=$(FUZZ_CC), O=build-fuzz):
# the project's objects with coverage for libFuzzer, ASan and UBSan.
ifneq ($(FUZZ),)
ALL_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

VERSION  := 0.1.0

LIB_SRC  := $(wildcard core/*.c capture/*.c parse/*.c store/*.c analyze/*.c tui/*.c \
              metrics/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
SCHEMA   := $(sort $(wildcard schema/*.sql))

LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o) $(O)/schema_sql.o $(O)/schema_final.o
CLI_OBJ  := $(CLI_SRC:%.c=$(O)/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(O)/tools/%)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)

BIN      := gatewatch

.PHONY: all deps test-deps bench-deps fuzz-deps check test unit e2e demo bench \
        install clean fuzz fuzz-build fuzz-seeds fuzz-check

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

# The script a new database takes instead of the files (store/db.c): what
# they leave, made by schema/flatten.c through them at build time.
$(O)/schema_flatten: schema/flatten.c $(filter-out $(O)/schema_final.o,$(LIB_OBJ))
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(LIBS)

$(O)/schema_final.c: $(O)/schema_flatten
	$(O)/schema_flatten $(O)/schema_final.db $@

$(O)/schema_final.o: $(O)/schema_final.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Tests of cli/ pieces link the cli objects they test (TEST_CLI_OBJ).
$(O)/tests/test_cli_output: TEST_CLI_OBJ := $(O)/cli/output.o \
    $(O)/cli/options.o $(O)/cli/util.o $(O)/cli/logsource.o
$(O)/tests/test_cli_output: $(O)/cli/output.o $(O)/cli/options.o $(O)/cli/util.o \
    $(O)/cli/logsource.o

$(O)/tests/test_capjoin: TEST_CLI_OBJ := $(O)/cli/capjoin.o
$(O)/tests/test_capjoin: $(O)/cli/capjoin.o

$(O)/tests/test_pipeline: TEST_CLI_OBJ := $(O)/cli/pipeline.o
$(O)/tests/test_pipeline: $(O)/cli/pipeline.o

$(O)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS)) \
	    -MMD -MP $(LDFLAGS) -o $@ $< $(TEST_CLI_OBJ) $(LIB_OBJ) $(LIBS) \
	    $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

# parsebench runs ingest's parse loop, pipeline included (TOOL_CLI_OBJ).
$(O)/tools/parsebench: TOOL_CLI_OBJ := $(O)/cli/pipeline.o
$(O)/tools/parsebench: $(O)/cli/pipeline.o

$(O)/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(TOOL_CLI_OBJ) $(LIB_OBJ) $(LIBS)

$(O)/fuzz/%: tests/fuzz/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP \
	    -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_OBJ) $(LIBS)

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

test-deps: deps fuzz-deps
	@missing=""; \
	for c in nginx haproxy caddy tmux tcpdump sqlite3 pgrep prometheus promtool \
	         curl jq; do \
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
	$(MAKE) fuzz-check
	@echo "make check: all tests passed (plain, ASan+UBSan, fuzz harnesses)"

# --- Fuzzing (tests/fuzz/README) ----------------------------------------
# libFuzzer harnesses over the project's objects, built with Debian's clang
# (libFuzzer ships in libclang-rt-14-dev) into build-fuzz/. Seeds are made
# from tests/data by tests/fuzz/seeds.sh; crashes found and fixed are kept
# in tests/fuzz/regress/HARNESS/ and replayed by every make check.
FUZZ_CC  ?= clang-14
FUZZ_O   := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 20
FUZZ_DEB_PKGS := clang-14 libclang-rt-14-dev

fuzz-deps:
	@t=$$(mktemp -d); \
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >$$t/f.c; \
	if ! $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $$t/f $$t/f.c >/dev/null 2>&1; then \
	  echo "installing fuzzing dependencies: $(FUZZ_DEB_PKGS)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(FUZZ_DEB_PKGS); \
	fi; \
	rm -rf $$t

fuzz-build: deps fuzz-deps
	$(MAKE) O=$(FUZZ_O) CC=$(FUZZ_CC) FUZZ=1 $(FUZZ_NAMES:%=$(FUZZ_O)/fuzz/%)

fuzz-seeds:
	$(MAKE) O=build build/tools/mkpcap
	tests/fuzz/seeds.sh $(FUZZ_O)/seeds build/tools/mkpcap

# Replay seeds and regressions, then FUZZ_CHECK_SECONDS of new inputs each.
fuzz-check: fuzz-build fuzz-seeds
	@FUZZ_O=$(FUZZ_O) tests/fuzz/run.sh check $(FUZZ_CHECK_SECONDS) $(FUZZ_NAMES)

fuzz: fuzz-build fuzz-seeds
	@FUZZ_O=$(FUZZ_O) tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

demo: deps
	$(MAKE) $(BIN)
	rm -f demo.db
	./gatewatch ingest -d demo.db tests/data/demo/access.log tests/data/demo/error.log
	./gatewatch report -d demo.db --by upstream,cause
	./gatewatch report -d demo.db --by cause

# What the benchmarks compare against (tshark for captures, GoAccess for
# ingest), load with (wrk) and profile with (perf); never in check.
BENCH_DEB_PKGS := tshark wrk goaccess linux-perf

bench-deps: test-deps
	@missing=""; \
	for c in tshark wrk goaccess perf; do \
	  command -v $$c >/dev/null 2>&1 || missing=yes; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing benchmark dependencies: $(BENCH_DEB_PKGS)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BENCH_DEB_PKGS); \
	fi

bench: bench-deps $(BIN) $(O)/gatewatch $(TOOL_BIN)
	GW_BUILD=$(O) bench/run.sh

# The binary of this build variant ($(O)), its man pages and bash completion
# (see "Installation" below; the systemd units only with install-systemd).
install: $(O)/gatewatch install-man install-completion
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(O)/gatewatch $(DESTDIR)$(BINDIR)/$(BIN)

# ---- Installation: man pages, bash completion, systemd units ----------
#
#   make install           bin/gatewatch, share/man/man1/gatewatch*.1,
#                          share/bash-completion/completions/gatewatch
#   make install-systemd   lib/systemd/system/gatewatch-{tail,capture}.service
#                          and lib/sysusers.d/gatewatch.conf (only when asked)
#
# All under $(DESTDIR)$(PREFIX). The units name $(BINDIR)/gatewatch, so a
# PREFIX=/usr install runs /usr/bin/gatewatch. tests/e2e/install_e2e.sh,
# man_e2e.sh, service_e2e.sh and completion_e2e.sh check the tree, the
# pages (mandoc -T lint, groff -ww), the units (systemd-analyze verify, their
# ExecStart run sandboxed and traced) and the completion; what they run is
# installed by test-deps.
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
MAN_PAGES      := $(sort $(wildcard man/*.1))
SYSTEMD_UNITS  := $(sort $(wildcard contrib/systemd/*.service))
INSTALL_TEST_DEB_PKGS := mandoc groff-base man-db systemd strace

.PHONY: install-man install-completion install-systemd install-test-deps

install-man:
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

install-completion:
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 contrib/bash-completion/gatewatch $(DESTDIR)$(BASHCOMPDIR)/gatewatch

# The units say /usr/local/bin/gatewatch (the default PREFIX): rewritten to
# $(BINDIR) here.
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	for u in $(SYSTEMD_UNITS); do \
	  sed 's|/usr/local/bin/gatewatch|$(BINDIR)/gatewatch|g' $$u \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) && \
	  chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u) || exit 1; \
	done
	install -m 0644 contrib/systemd/gatewatch.conf $(DESTDIR)$(SYSUSERSDIR)/gatewatch.conf

# mandoc, groff, man, systemd-analyze and systemd-sysusers (package
# systemd; systemd need not run), strace for the installation tests; after
# deps, so two apt-get never run at once under -j.
test-deps: install-test-deps
install-test-deps: deps
	@missing=""; \
	for c in mandoc groff man systemd-analyze systemd-sysusers strace; do \
	  command -v $$c >/dev/null 2>&1 || missing=yes; \
	done; \
	[ -f /usr/share/groff/current/tmac/mdoc.tmac ] || missing=yes; \
	if [ -n "$$missing" ]; then \
	  echo "installing installation-test dependencies: $(INSTALL_TEST_DEB_PKGS)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(INSTALL_TEST_DEB_PKGS); \
	fi

clean:
	rm -rf build build-san build-fuzz $(BIN) demo.db

-include $(shell find $(O) -name '*.d' 2>/dev/null)
