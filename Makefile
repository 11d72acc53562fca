# kubecomply — one binary, a static library of the modules, cmocka suites, fuzzers, benches.
# Sources are discovered by folder, so a new module is a new file, not a Makefile edit.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CLANG   ?= clang
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS    := libbpf json-c yaml-0.1 sqlite3 nettle libpq libgit2 libcurl libxml-2.0 libcrypto libssl zlib
# Loaded on first use by the kubecomply binary (common/lazy.h): an audit never calls most of them
# and their load and constructors were most of its CPU (libpq only for a postgres:// store,
# libcrypto for the evidence chain and signatures). Tests, benches and fuzzers link them.
LAZY_PKGS  := libcurl libgit2 libxml-2.0 libssl libcrypto libbpf zlib libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null)
LAZY_LIBS  := $(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null)
# The libraries every audit calls are linked into the kubecomply binary from the static archives
# Debian's -dev packages ship (none of the four needs another library): mapping, relocating and
# binding four shared objects was a tenth of an audit's CPU (README, "Startup"). Tests, benches
# and fuzzers link the shared objects. A missing archive falls back to the shared object.
STATIC_PKGS := json-c yaml-0.1 sqlite3 nettle
static_lib = $(or $(wildcard $(shell pkg-config --variable=libdir $(1) 2>/dev/null)/lib$(patsubst -l%,%,$(shell \
	pkg-config --libs-only-l $(1) 2>/dev/null)).a),$(shell pkg-config --libs-only-l $(1) 2>/dev/null))
BIN_LIBS   := $(foreach p,$(STATIC_PKGS),$(call static_lib,$(p))) \
	$(shell pkg-config --libs $(filter-out $(LAZY_PKGS) $(STATIC_PKGS),$(PKGS)) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -I. -I$(BUILD) $(PKG_CFLAGS) \
	-D_GNU_SOURCE -DKC_VERSION='"$(VERSION)"' -DKC_GIT_REV='"$(GIT_REV)"'
LDLIBS  := $(PKG_LIBS) -lm -lpthread -ldl
LDLIBS_ALL := $(LAZY_LIBS) -lelf $(LDLIBS)

# the recursive builds below use every core; a 2-core CI machine halves its build time
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

MODULES := common store checks auditlog bpf reports remediation gitops auditor
LIB_SRC := $(filter-out auditor/main.c %.bpf.c, $(foreach d,$(MODULES),$(wildcard $(d)/*.c $(d)/*/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LAZY_OBJ := $(BUILD)/common/lazy_syms.o
LIB     := $(BUILD)/libkubecomply.a
BIN     := $(BUILD)/kubecomply

TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELP := $(filter-out $(TEST_SRC), $(wildcard tests/*.c))
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)

.PHONY: all deps test check fuzz bench demo install clean help include-graph
all: $(BIN)

# BPF programs: kernel objects, skeletons and their ordering live in bpf/bpf.mk.
-include bpf/bpf.mk

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# one stub per function the objects call in a lazily loaded library (scripts/lazy-syms.sh)
$(BUILD)/common/lazy_syms.S: $(LIB_OBJ) $(BUILD)/auditor/main.o scripts/lazy-syms.sh common/lazy_stub.S.inc Makefile
	scripts/lazy-syms.sh $@ "$(LAZY_PKGS)" $(LIB_OBJ) $(BUILD)/auditor/main.o

$(LAZY_OBJ): $(BUILD)/common/lazy_syms.S
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ) $(LAZY_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The bundled policies, parsed at build time and carried in the binary (checks/policy_pack.h):
# used only when the policy files on disk are byte for byte those packed here. policies/runtime
# holds the runtime monitors' rules (another format, read by their own loaders).
POLICY_DIRS := $(filter-out policies/runtime,$(patsubst %/,%,$(sort $(dir $(wildcard policies/*/*.yaml)))))
# build tools (tools/): programs run at build time, linked like the tests
$(BUILD)/tools/%: tools/%.c tools/cstring.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

$(BUILD)/gen/policy_packs.c: $(BUILD)/tools/policy_pack_gen $(wildcard policies/*/*.yaml)
	@mkdir -p $(dir $@)
	ASAN_OPTIONS=detect_leaks=0 $(BUILD)/tools/policy_pack_gen $@.tmp $(POLICY_DIRS)
	@mv $@.tmp $@

# The store's schema at the latest version as the migrations build it: opens compare with it.
$(BUILD)/gen/schema_ref.c: $(BUILD)/tools/schema_ref_gen
	@mkdir -p $(dir $@)
	ASAN_OPTIONS=detect_leaks=0 $(BUILD)/tools/schema_ref_gen $@.tmp
	@mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BIN): $(BUILD)/auditor/main.o $(BUILD)/gen/policy_packs.o $(BUILD)/gen/schema_ref.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(BIN_LIBS) -lm -lpthread -ldl

# test helpers are shared headers: a change to any of them rebuilds the suites
$(BUILD)/tests/%: tests/%.c $(TEST_HELP) $(wildcard tests/*.h) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(TEST_HELP) $(LIB) $(LDLIBS_ALL) -lcmocka

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(BENCH_EXTRA) $(LIB) $(LDLIBS_ALL) $(BENCH_LIBS)

# the store bench starts a real PostgreSQL server with the suites' helper
$(BUILD)/bench/bench_store: BENCH_EXTRA := tests/kc_pg.c tests/kc_test.c
$(BUILD)/bench/bench_store: BENCH_LIBS := -lcmocka
$(BUILD)/bench/bench_store: tests/kc_pg.c tests/kc_test.c

deps:
	@scripts/install-deps.sh

# The README's test command: installs what it needs, builds, runs every cmocka suite.
test: deps include-graph
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN) $(TEST_BIN)
	@KC_BIN=$(abspath $(BIN)) KC_BUILD=$(abspath $(BUILD)) scripts/run-tests.sh $(TEST_BIN)

# The house rules: folders include only the layers below them; SQL only in store/.
include-graph:
	@scripts/include-graph.sh

# The same suites under AddressSanitizer + UndefinedBehaviorSanitizer, in their own build dir.
check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build-san CC=$(CLANG) \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		KC_SANITIZE=1 test-san

test-san: $(BIN) $(TEST_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		LSAN_OPTIONS=suppressions=$(abspath scripts/lsan.supp) \
		KC_BIN=$(abspath $(BIN)) KC_BUILD=$(abspath $(BUILD)) KC_SANITIZE=1 scripts/run-tests.sh $(TEST_BIN)

FUZZ_SECONDS ?= 10
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(CLANG) \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" fuzz-run

fuzz-run: $(LIB)
	@mkdir -p $(BUILD)/fuzz
	@set -e; for src in $(FUZZ_SRC); do \
		name=$$(basename $$src .c); \
		$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -o $(BUILD)/fuzz/$$name $$src $(LIB) $(LDLIBS_ALL); \
		mkdir -p $(BUILD)/fuzz/corpus-$$name; \
		seeds=""; [ -d fuzz/seeds/$$name ] && seeds=fuzz/seeds/$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
		$(BUILD)/fuzz/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			$(BUILD)/fuzz/corpus-$$name $$seeds 2>&1 | tail -n 2; \
	done

# deps first, then a fresh make: pkg-config's flags are read when the Makefile is parsed, and
# on a new machine the libraries arrive only with deps.
bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN) $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do echo "== $$(basename $$b)"; KC_BIN=$(abspath $(BIN)) $$b; done

# The README's main job: audit the bundled example node and write the evidence and reports.
demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN)
	@scripts/demo.sh $(BIN)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kubecomply/policies
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kubecomply
	cp -R policies/. $(DESTDIR)$(PREFIX)/share/kubecomply/policies/

clean:
	rm -rf build build-san build-fuzz

help:
	@echo "targets: all test check fuzz bench demo install clean"

-include $(LIB_OBJ:.o=.d) $(BUILD)/auditor/main.d $(BENCH_BIN:=.d)
