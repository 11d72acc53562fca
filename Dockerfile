# syntax=docker/dockerfile:1
# kubecomply image: one binary (json-c, libyaml, SQLite and nettle linked in from their static
# archives), its policies, and only the shared libraries it loads.
# Build: docker build -t ghcr.io/kubecomply/kubecomply:$(cat VERSION) .
#
# The BPF programs are CO-RE: vmlinux.h is dumped from the BUILD host's BTF
# (/sys/kernel/btf/vmlinux, visible in build containers on BTF-enabled kernels) and libbpf
# relocates the programs to each node's kernel at load time.

# ---- build: the same Debian 12 packages as scripts/debian-packages.txt, minus test tools ----
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      build-essential pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
      libyaml-dev libxml2-dev libsqlite3-dev libpq-dev libgit2-dev libjson-c-dev libcurl4-openssl-dev \
      libssl-dev nettle-dev ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `make` builds build/kubecomply (warnings are errors); `make install` lays out
# bin/kubecomply and share/kubecomply/policies under DESTDIR/PREFIX.
RUN make -j"$(nproc)" \
 && make install PREFIX=/usr/local DESTDIR=/out

# ---- runtime: the shared libraries the binary loads only ----
# libcurl, libgit2, libxml2, libssl, libcrypto, zlib, libpq and libbpf are not linked into the
# binary but loaded on first use (Makefile LAZY_PKGS, common/lazy.h): they must stay installed
# here. json-c, libyaml, SQLite and nettle are in the binary (Makefile STATIC_PKGS).
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      libbpf1 libelf1 zlib1g libpq5 libgit2-1.5 libcurl4 \
      libxml2 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 kubecomply \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/kubecomply --no-create-home \
      --shell /usr/sbin/nologin kubecomply \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/kubecomply
COPY --from=build /out/usr/local/ /usr/local/
# Nothing is written outside /var/lib/kubecomply (the evidence store and reports, a volume in
# every manifest) and /tmp (SQLite's temporary files): the root filesystem can be read-only.
ENV SQLITE_TMPDIR=/tmp
VOLUME ["/var/lib/kubecomply"]
WORKDIR /var/lib/kubecomply
# Non-root by default (the section-5 audit, reports, fleet). The node audit and the BPF watch
# set runAsUser: 0 in their pod specs, as deploy/ documents.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubecomply"]
CMD ["--help"]
