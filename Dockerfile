# The stampede image: a static binary on distroless, running as non-root.
#   docker build -t stampede:dev .
#   docker run --rm stampede:dev attack --url http://host.docker.internal:8080/ --rate 50/s --duration 10s -o -
# The Kubernetes manifests of deploy/kubernetes run it (docs/distributed.md).

# Build: a static binary (no cgo), paths trimmed, the version stamped.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/stampede ./cmd/stampede

# Run: no shell, no package manager; user 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stampede /stampede
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/stampede"]
CMD ["--help"]
