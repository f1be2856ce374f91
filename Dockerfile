# Eddy's image: one image for the JobManager, the TaskManagers and the client.
#
#   docker build -t eddy .
#   docker run --rm eddy --help
#   docker run --rm -p 127.0.0.1:6123:6123 -e EDDY_PROPERTIES='jobmanager.bind-host: 0.0.0.0' eddy jobmanager
#
# The entrypoint is the `eddy` command; the arguments are its subcommand and flags. It can also
# submit jobs (`eddy run`): esbuild, which bundles job files, is a dependency of @eddy/client and
# stays in the image, and the examples/ job files are included to try it. docker-compose.yml runs
# a cluster from this image; docs/docker.md explains both.
#
# Stages: `manifests` holds the package manifests only, so both installs below are cached until a
# dependency changes; `build` installs everything and compiles; `deps` installs the production
# dependencies alone; the final stage gets those, the compiled code (dist/src of each workspace)
# and the package.json files, and nothing else: no TypeScript sources, tests or dev dependencies.

FROM node:20-bookworm-slim AS manifests
WORKDIR /opt/eddy
COPY package.json package-lock.json ./
# One line per workspace of package.json (test/docker checks that none is missing).
COPY packages/proto/package.json packages/proto/
COPY packages/common/package.json packages/common/
COPY packages/api/package.json packages/api/
COPY packages/connector-kafka/package.json packages/connector-kafka/
COPY packages/rpc/package.json packages/rpc/
COPY packages/cluster-common/package.json packages/cluster-common/
COPY packages/runtime/package.json packages/runtime/
COPY packages/client/package.json packages/client/
COPY packages/cli/package.json packages/cli/
COPY packages/web-dashboard/package.json packages/web-dashboard/

FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
# .dockerignore lets only each package's src/ and tsconfig.json through (and the dashboard's
# index.html and vite.config.mjs).
COPY packages packages
# The web dashboard (Vite) builds to packages/web-dashboard/dist: static files the REST server serves.
RUN npx tsc -b packages/cli packages/connector-kafka \
 && npm run build --workspace @eddy/web-dashboard \
 && chmod +x packages/cli/dist/src/bin/eddy.js \
 && for dir in packages/*/; do \
      mkdir -p "/opt/eddy-image/${dir}dist" \
      && cp "${dir}package.json" "/opt/eddy-image/${dir}" \
      && if [ "$dir" = packages/web-dashboard/ ]; then cp -R "${dir}dist/." "/opt/eddy-image/${dir}dist/"; \
         else cp -R "${dir}dist/src" "/opt/eddy-image/${dir}dist/src"; fi; \
    done \
 && find /opt/eddy-image -name '*.d.ts' -delete -o -name '*.d.ts.map' -delete

FROM manifests AS deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/eddy
COPY --from=deps /opt/eddy/package.json ./
COPY --from=deps /opt/eddy/node_modules node_modules
COPY --from=build /opt/eddy-image/packages packages
COPY examples/*.ts examples/
COPY examples/data examples/data
RUN ln -s /opt/eddy/packages/cli/dist/src/bin/eddy.js /usr/local/bin/eddy
# The node image's unprivileged user. Eddy writes only under the system temp directory (blob
# store, blob cache, job bundles) and where a job's sinks write.
USER node
# 6123: jobmanager.rpc.port, for TaskManagers and clients. 8081: rest.port, the REST API and the
# web dashboard. 9249: metrics.reporter.prom.port, the Prometheus endpoint, when a reporter is
# configured (docker-compose.yml does). TaskManagers listen on taskmanager.rpc.port (0: any free
# port), reached inside the container network only.
EXPOSE 6123 8081 9249
ENTRYPOINT ["eddy"]
CMD ["--help"]
