# Wavegate manager image: a static Go binary on distroless, run as nonroot.
# Base images are pinned; bump them deliberately (and pin digests in your
# registry mirror if you build for production).

FROM golang:1.26.8-bookworm AS builder
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY policies/ policies/
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# Static: the final image has no libc.
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/manager ./cmd/manager

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /out/manager /manager
# distroless's nonroot user, numeric so runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/manager"]
