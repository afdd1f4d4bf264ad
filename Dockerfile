# syntax=docker/dockerfile:1
# The operator image: published with the .NET SDK as a Native AOT executable (docs/benchmarks.md, "Native AOT": about
# half the memory of the JIT build), run on runtime-deps (no .NET runtime needed) as a non-root numeric user.
# scripts/test-aot publishes exactly so and runs the process-level tests against that executable.
#
#   docker build -t infra-operator:dev .
#
# Not built in our CI (no container engine there); docs/installation.md says how it is kept correct.

# ---- build ----------------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The AOT compiler links with clang and needs zlib.
RUN apt-get update \
    && apt-get install -y --no-install-recommends clang zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Restore first, from the project files only, so the package layer is reused until a dependency changes.
# Only the production host and what it references (Operator.Core, Operator.Engine): the emulators (Operator.Testing),
# the test bed and local mode are never copied, so they cannot reach the image.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props BannedSymbols.txt ./
COPY Operator/Operator.csproj Operator/
COPY Operator.Core/Operator.Core.csproj Operator.Core/
COPY Operator.Engine/Operator.Engine.csproj Operator.Engine/
RUN dotnet restore Operator/Operator.csproj -r linux-x64 -p:PublishAot=true

COPY Operator/ Operator/
COPY Operator.Core/ Operator.Core/
COPY Operator.Engine/ Operator.Engine/
# The separate debug symbols (Operator.dbg, ~100 MB) stay in the build stage.
RUN dotnet publish Operator -c Release -r linux-x64 -p:PublishAot=true -o /app --no-restore \
    && rm -f /app/*.dbg /app/*.pdb

# ---- runtime --------------------------------------------------------------------------------------------------
# runtime-deps:10.0 carries the `app` user, uid/gid 1654 ($APP_UID). The chiseled variant
# (mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled) has the same user and no shell or package manager at
# all; nothing below needs a shell, so it is a drop-in replacement.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime
WORKDIR /app
# The image's default ASPNETCORE_HTTP_PORTS=8080 is not ours: the operator binds --metrics-port and --health-port.
# DOTNET_GCgen0size: a 4 MiB gen0 budget instead of one sized from the host's L3 cache (tens of MB on a server), which
# the GC would otherwise keep committed; the runtime reads it from the environment only (docs/benchmarks.md).
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_GCgen0size=0x400000
# Owned by root and read-only to the runtime user: the process cannot modify its own binaries.
COPY --from=build /app /app
# Metrics and health ports (--metrics-port, --health-port).
EXPOSE 8080 8081
# Numeric, so that Kubernetes' runAsNonRoot can verify it; matches the Deployment's runAsUser/runAsGroup.
USER 1654:1654
ENTRYPOINT ["/app/Operator"]
# `run` is the operator's only verb (and may be left out); the Deployment passes it too.
CMD ["run"]
