# mmlens build. `make` builds build/mmlens; `make test` installs what is
# missing, builds with -Werror, and runs every test normally and under
# ASan+UBSan; `make demo` runs the pipeline on the built-in sample.
# Also: `make check-deps` (the module plan), `make lint` (cppcheck and
# clang-tidy), `make valgrind` (acceptance tests under memcheck), `make
# fuzz` and `make fuzz-campaign`, `make bench` (CONTRIBUTING.md).
CC      ?= gcc
CSTD    := -std=c17
WARN    := -Wall -Wextra -Werror -Wshadow -Wvla
CPPFLAGS:= -Iinclude -D_DEFAULT_SOURCE $(shell pkg-config --cflags libhs 2>/dev/null)
CFLAGS  ?= -O2 -g
LDLIBS  := -lpcap -lsqlite3 -lcrypto -ldeflate -lz -ljansson -lhs -lm -lpthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Modules in pipeline order (docs/ARCHITECTURE.md; which may include which is
# the graph drawn there, checked by `make check-deps`).
MODULES := util capture flow mmtls envelope decode detect analyze report cli
LIB_SRC := $(foreach m,$(MODULES),$(filter-out src/cli/main.c,$(wildcard src/$(m)/*.c)))
GEN     := catalog_data taxonomy_data fields_data attrib_data policy_wechat_data policy_weixin_data questions_data

B       := build
Q       ?= @
OBJ     := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC)) $(patsubst %,$(B)/obj/gen/%.o,$(GEN))
AOBJ    := $(patsubst src/%.c,$(B)/asan/obj/%.o,$(LIB_SRC)) $(patsubst %,$(B)/asan/obj/gen/%.o,$(GEN))

TEST_SRC:= $(wildcard tests/*.c)
SIM_SRC := $(filter-out tools/sim/main.c,$(wildcard tools/sim/*.c))
FUZZ_TARGETS := $(basename $(notdir $(wildcard fuzz/fuzz_*.c)))

.PHONY: all test demo bench clean deps fuzz check-deps lint valgrind fuzz-campaign
all: $(B)/mmlens $(B)/mmlens-sim

deps:
	@sh scripts/deps.sh

$(B)/gen/catalog_data.c: data/request_types.tsv tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_catalog_builtin_data $< > $@
$(B)/gen/taxonomy_data.c: data/taxonomy.tsv tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_taxonomy_builtin_data $< > $@
$(B)/gen/fields_data.c: data/fields.tsv tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_fields_builtin_data $< > $@
$(B)/gen/attrib_data.c: data/attribution.tsv tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_attrib_builtin_data $< > $@
$(B)/gen/policy_wechat_data.c: data/policy/wechat.json tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_policy_wechat_data $< > $@
$(B)/gen/policy_weixin_data.c: data/policy/weixin.json tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_policy_weixin_data $< > $@
$(B)/gen/questions_data.c: data/questions.json tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh mml_questions_data $< > $@

$(B)/obj/%.o: src/%.c $(wildcard include/mmlens/*.h src/*/*.h)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
$(B)/asan/obj/%.o: src/%.c $(wildcard include/mmlens/*.h src/*/*.h)
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -O1 -g $(SAN) -c $< -o $@
$(B)/asan/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(CPPFLAGS) -O1 -g $(SAN) -c $< -o $@

$(B)/libmmlens.a: $(OBJ)
	$(Q)ar rcs $@ $^
$(B)/asan/libmmlens.a: $(AOBJ)
	$(Q)ar rcs $@ $^

$(B)/mmlens: src/cli/main.c $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/asan/mmlens-sim: tools/sim/main.c $(SIM_SRC) $(wildcard tools/sim/*.h) $(B)/asan/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -Itools/sim -O1 -g $(SAN) tools/sim/main.c $(SIM_SRC) $(B)/asan/libmmlens.a $(LDLIBS) -o $@
$(B)/asan/mmlens: src/cli/main.c $(B)/asan/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -O1 -g $(SAN) $< $(B)/asan/libmmlens.a $(LDLIBS) -o $@

# The traffic simulator (tools/sim, docs/SIMULATOR.md).
$(B)/mmlens-sim: tools/sim/main.c $(SIM_SRC) $(wildcard tools/sim/*.h) $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -Itools/sim $(CFLAGS) tools/sim/main.c $(SIM_SRC) $(B)/libmmlens.a $(LDLIBS) -o $@

# Unit/acceptance tests: one runner binary per build flavour.
$(B)/tests: $(TEST_SRC) $(SIM_SRC) $(wildcard tests/*.h tools/sim/*.h) $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -Itools/sim $(CFLAGS) $(TEST_SRC) $(SIM_SRC) $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/asan/tests: $(TEST_SRC) $(SIM_SRC) $(wildcard tests/*.h tools/sim/*.h) $(B)/asan/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -Itools/sim -O1 -g $(SAN) $(TEST_SRC) $(SIM_SRC) $(B)/asan/libmmlens.a $(LDLIBS) -o $@

# Fuzz harnesses as plain regression programs over their corpora (gcc).
$(B)/fuzzreg/%: fuzz/%.c fuzz/driver.c $(B)/libmmlens.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< fuzz/driver.c $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/asan/fuzzreg/%: fuzz/%.c fuzz/driver.c $(B)/asan/libmmlens.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) -O1 -g $(SAN) $< fuzz/driver.c $(B)/asan/libmmlens.a $(LDLIBS) -o $@

# libFuzzer builds (clang): make fuzz, then build/fuzz/<target> fuzz/corpus/<target>
fuzz:
	@sh scripts/deps.sh
	$(MAKE) CC=clang B=build/clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" build/clang/libmmlens.a
	@mkdir -p build/fuzz
	for t in $(FUZZ_TARGETS); do clang $(CSTD) $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined fuzz/$$t.c build/clang/libmmlens.a $(LDLIBS) -o build/fuzz/$$t || exit 1; done

test:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory all $(B)/tests $(B)/asan/mmlens $(B)/asan/tests $(B)/asan/mmlens-sim \
		$(addprefix $(B)/fuzzreg/,$(FUZZ_TARGETS)) $(addprefix $(B)/asan/fuzzreg/,$(FUZZ_TARGETS))
	@sh tests/run.sh

# Benchmarks (bench/, figures in BENCHMARKS.md).
$(B)/bench-stages: bench/stages.c $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/bench-scanstages: bench/scanstages.c $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/bench-decode-corpus: bench/decode_corpus.c $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/bench-decode-speed: bench/decode_speed.c $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/bench-keylog: bench/keylog_reader.c $(B)/libmmlens.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< $(B)/libmmlens.a $(LDLIBS) -o $@
$(B)/bench-rss: bench/rss.c
	@echo "  LD      $@"
	$(Q)$(CC) $(CSTD) $(WARN) $(CPPFLAGS) $(CFLAGS) $< -o $@

bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(B)/bench-stages $(B)/bench-scanstages $(B)/bench-rss $(B)/bench-decode-corpus
	@sh bench/bench.sh

demo:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# The module plan of docs/ARCHITECTURE.md (also run first by make test):
# the graph, private headers, the simulator, no analysis in the cli, sizes.
check-deps:
	@sh scripts/check-deps.sh

# Static analysis: cppcheck and clang-tidy (.clang-tidy); fails on any finding.
lint:
	@sh scripts/deps.sh lint
	@sh scripts/lint.sh

# The real-data and simulator acceptance tests under valgrind's memcheck
# (normal build): 0 errors and 0 leaks. TESTS="a b": other name patterns.
valgrind:
	@sh scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory all $(B)/tests
	@B=$(B) sh scripts/valgrind.sh $(TESTS)

# A libFuzzer campaign over every harness (docs/FUZZING.md):
# make fuzz-campaign SECONDS=600 JOBS=1 [RUNS=N] [HARNESSES="fuzz_x fuzz_y"]
fuzz-campaign:
	@SECONDS=$(SECONDS) RUNS=$(RUNS) JOBS=$(JOBS) sh scripts/fuzz-campaign.sh $(HARNESSES)

clean:
	rm -rf build
