# kcr in a container, for drift jobs outside GitHub (GitLab CI, a Kubernetes CronJob next to Keycloak).
#   docker build -t keycloak-reconciler .
#   docker run --rm -v "$PWD/desired-state:/kcr/desired-state:ro" \
#     -e KEYCLOAK_URL -e KEYCLOAK_CLIENT_ID -e KEYCLOAK_CLIENT_SECRET keycloak-reconciler drift
# Two stages: the wheel is built and installed into a virtual environment, and only that environment
# is copied onto a slim Python; the image runs as an unprivileged user with kcr as its entrypoint.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY reconciler ./reconciler
RUN python -m venv /opt/kcr \
    && /opt/kcr/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="keycloak-reconciler" \
      org.opencontainers.image.description="kcr: declarative GitOps reconciler for Keycloak" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/kcr /opt/kcr
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin kcr
ENV PATH=/opt/kcr/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001
WORKDIR /kcr
ENTRYPOINT ["kcr"]
CMD ["--help"]
