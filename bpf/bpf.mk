# BPF programs: vmlinux.h from the running kernel's BTF, CO-RE objects, skeletons.
# Included by the top Makefile; every path is under $(BUILD) so build, build-san and
# build-fuzz each get their own copy.
BPFTOOL  ?= bpftool
BPF_SRC  := $(wildcard bpf/*.bpf.c)
BPF_OBJ  := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKEL := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
BPF_VMLINUX := $(BUILD)/bpf/vmlinux.h
# Sanitizer and fuzzer flags mean nothing to the BPF target: use only what CO-RE needs.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(BUILD)/bpf -Ibpf

$(BPF_VMLINUX):
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/monitor.h $(BPF_VMLINUX)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

.SECONDARY: $(BPF_OBJ) $(BPF_VMLINUX)

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# User-side objects of bpf/ include the skeletons; tests and benches reach them through the
# library. Real prerequisites so a changed kernel program rebuilds its loader.
$(patsubst bpf/%.c,$(BUILD)/bpf/%.o,$(filter-out %.bpf.c,$(wildcard bpf/*.c))): $(BPF_SKEL)
$(BUILD)/bpf/flows.bpf.o: bpf/flows.h
