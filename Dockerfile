# syntax=docker/dockerfile:1
# wersa-serve container image: a builder on debian:bookworm that runs the
# project's own scripts/install-deps.sh and builds with CMake, and a runtime
# on debian:bookworm-slim with runtime libraries only.
#
#   docker build -t wersa-serve:cpu .                        # CPU (default)
#   docker build --build-arg VARIANT=cuda \
#     --build-arg LIBTORCH_URL=<libtorch cxx11-ABI CUDA zip> -t wersa-serve:cuda .
#
# VARIANT=cuda is UNVERIFIED (never built here): Debian 12 ships LibTorch
# for the CPU only, so the CUDA variant needs (1) NVIDIA's CUDA apt
# repository for debian12 (nvcc and the CUDA runtime libraries, toolkit
# version given by CUDA_VERSION), (2) an official LibTorch CUDA build
# (cxx11 ABI) unpacked into /opt/libtorch and found through
# CMAKE_PREFIX_PATH, and (3) on the node, the NVIDIA driver and the NVIDIA
# container toolkit / device plugin. The project is written against
# LibTorch 1.13's API; a newer official LibTorch may need source changes.
#
# The shipped model bundle models/arxiv-archive-11/ must be in the build
# context (the server's default --model_dir).
#
# scripts/check-image-recipe.sh checks that the runtime package list below
# covers every library the built binaries load (CTest: deploy_image_recipe).
# scripts/verify-image-recipe.sh interprets this file's CPU stages in
# debootstrap chroots and runs the result, where there is no Docker engine
# (docs/operations.md); keep to the instructions it interprets.

ARG VARIANT=cpu

# ---------------------------------------------------------------- builder
FROM debian:bookworm AS builder-base
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# The install script first, so the dependency layer is cached across
# source changes.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .

FROM builder-base AS build-cpu
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DWERSA_BUILD_TESTS=OFF -DWERSA_BUILD_BENCHMARKS=OFF -DWERSA_CUDA=OFF \
 && cmake --build /build --parallel "$(nproc)" \
      --target wersa-server wersa-client wersa-load \
 && mkdir -p /opt/libtorch/lib

# UNVERIFIED: see the header.
FROM builder-base AS build-cuda
ARG CUDA_VERSION=12-4
ARG LIBTORCH_URL
RUN test -n "$LIBTORCH_URL" || { echo "VARIANT=cuda needs --build-arg LIBTORCH_URL" >&2; exit 1; } \
 && apt-get update -q && apt-get install -y -q --no-install-recommends curl unzip gnupg \
 && curl -fsSL -o /tmp/cuda-keyring.deb \
      https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-keyring_1.1-1_all.deb \
 && dpkg -i /tmp/cuda-keyring.deb && apt-get update -q \
 && apt-get install -y -q --no-install-recommends "cuda-toolkit-${CUDA_VERSION}" \
 && curl -fsSL -o /tmp/libtorch.zip "$LIBTORCH_URL" \
 && unzip -q /tmp/libtorch.zip -d /opt && rm /tmp/libtorch.zip \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/local/cuda/bin:$PATH
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DWERSA_BUILD_TESTS=OFF -DWERSA_BUILD_BENCHMARKS=OFF -DWERSA_CUDA=ON \
      -DCMAKE_PREFIX_PATH=/opt/libtorch \
 && cmake --build /build --parallel "$(nproc)" \
      --target wersa-server wersa-client wersa-load

FROM build-${VARIANT} AS build

# ---------------------------------------------------------------- runtime
# Packages of the libraries the binaries link directly (readelf NEEDED);
# apt brings their dependencies. OpenBLAS's OpenMP build is named and
# selected, as scripts/install-deps.sh does: LibTorch's dependency is
# otherwise met by the slow reference BLAS.
FROM debian:bookworm-slim AS runtime-common
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
# BEGIN runtime packages (scripts/check-image-recipe.sh reads this list)
      libabsl20220623 \
      libcpp-httplib0.11 \
      libgcc-s1 \
      libgomp1 \
      libgrpc++1.51 \
      libgrpc29 \
      libopenblas0-openmp \
      libprometheus-cpp-core1.0 \
      libprotobuf32 \
      libssl3 \
      libstdc++6 \
# END runtime packages
 && rm -rf /var/lib/apt/lists/*

FROM runtime-common AS runtime-cpu
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
# BEGIN runtime packages cpu
      libtorch1.13 \
# END runtime packages cpu
 && arch="$(dpkg --print-architecture | sed 's/amd64/x86_64/;s/arm64/aarch64/')-linux-gnu" \
 && for lib in libblas.so.3 liblapack.so.3; do \
      update-alternatives --set "${lib}-${arch}" "/usr/lib/${arch}/openblas-openmp/${lib}"; \
    done \
 && rm -rf /var/lib/apt/lists/*

# UNVERIFIED: the CUDA runtime libraries from NVIDIA's repository, LibTorch
# from the builder.
FROM runtime-common AS runtime-cuda
ARG CUDA_VERSION=12-4
ADD https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-keyring_1.1-1_all.deb /tmp/cuda-keyring.deb
RUN dpkg -i /tmp/cuda-keyring.deb && rm /tmp/cuda-keyring.deb \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      "cuda-cudart-${CUDA_VERSION}" "libcublas-${CUDA_VERSION}" "libcufft-${CUDA_VERSION}" \
      "libcurand-${CUDA_VERSION}" "libcusparse-${CUDA_VERSION}" "libcusolver-${CUDA_VERSION}" \
      "libnvjitlink-${CUDA_VERSION}" \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/libtorch/lib/ /opt/libtorch/lib/
ENV LD_LIBRARY_PATH=/opt/libtorch/lib:/usr/local/cuda/lib64 \
    NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    WERSA_DEVICE=cuda:0

FROM runtime-${VARIANT} AS runtime
# A fixed numeric user, so Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 10001 wersa \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin wersa
WORKDIR /opt/wersa
COPY --from=build /build/server/wersa-server /build/client/wersa-client \
                  /build/client/wersa-load /usr/local/bin/
COPY models/arxiv-archive-11/ /opt/wersa/models/arxiv-archive-11/
ENV WERSA_MODEL_DIR=/opt/wersa/models/arxiv-archive-11
USER 10001:10001
# gRPC, then HTTP /metrics, /healthz, /readyz.
EXPOSE 50051 9090
# SIGTERM drains (--drain_timeout, 30 s by default); exec form, so the
# server is PID 1 and receives it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/wersa-server"]
