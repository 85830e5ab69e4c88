# The operator image (JVM mode). Build from the repository root: docker build -t tunnelops/tunnel-operator .
# Without a Docker engine: images/build.sh operator (buildah, local Debian OpenJDK 17 bases passed as the two ARGs).
# BUILD_BASE needs a JDK 17, curl and unzip (mvnw fetches Maven); BASE needs a JRE 17 with java on the PATH.
ARG BUILD_BASE=eclipse-temurin:17-jdk
ARG BASE=eclipse-temurin:17-jre
FROM ${BUILD_BASE} AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src src
# marks this stage's image, which --layers builds keep as a cache: images/build.sh removes the ones older sources left
LABEL io.tunnelops.stage=operator-build
# the app only: no test sources compiled (they are many, and not part of the image)
RUN ./mvnw -B -q package -Dmaven.test.skip=true

FROM ${BASE}
WORKDIR /app
COPY --from=build /src/target/quarkus-app/ /app/
# Non-root, no shell needed at run time.
USER 10001:10001
EXPOSE 8080
# Half the container's memory for the heap: classes, threads, code and the collector take about 190 MiB beside it
# (BENCHMARKS.md, native memory); two malloc arenas, not one per thread, keep the rest from growing with the threads.
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-jar", "/app/quarkus-run.jar"]
