#!/usr/bin/env bash
# Provides Temporal's time-skipping test server (the Java one that @temporalio/testing's
# TestWorkflowEnvironment.createTimeSkipping() would download from GitHub) from Maven Central:
# io.temporal:temporal-test-server and its dependencies are copied with Maven into a cache
# outside the clone, next to a launcher that runs `java ... io.temporal.testserver.TestServer
# <port> [args]`, the command line the SDK uses for its own test server binary.
# Idempotent: when cached it only prints the path. Progress goes to stderr; stdout is only
# the launcher's path, for `server: { executable: { type: 'existing-path', path } }`.
# Needs java and mvn (Debian: default-jre-headless, maven), installed with apt-get as root when missing.
set -euo pipefail
TEST_SERVER_VERSION="${INTROSPECTOR_TEST_SERVER_VERSION:-1.38.0}"
CACHE="${INTROSPECTOR_TEST_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/introspector/test-server}"
DIR="$CACHE/$TEST_SERVER_VERSION"
LAUNCHER="$DIR/temporal-test-server"
say() { echo "[temporal-test-server] $*" >&2; }

if [ -x "$LAUNCHER" ] && [ -f "$DIR/lib/.complete" ]; then
  echo "$LAUNCHER"
  exit 0
fi

source "$(dirname "$0")/lib/apt.sh"
needed=()
command -v java >/dev/null 2>&1 || needed+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || needed+=(maven)
apt_install "${needed[@]}"

mkdir -p "$CACHE"
# Two test processes starting at once: one fetches, the other waits and finds it done.
exec 9>"$CACHE/.lock"
flock 9
if [ -x "$LAUNCHER" ] && [ -f "$DIR/lib/.complete" ]; then
  echo "$LAUNCHER"
  exit 0
fi

say "fetching io.temporal:temporal-test-server:$TEST_SERVER_VERSION and its dependencies from Maven Central into $DIR (about 40 MB)..."
started=$SECONDS
work="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# slf4j-jdk14 sends the server's slf4j logging to java.util.logging, which logging.properties
# keeps at WARNING: without a binding slf4j prints a warning on every start and logs nothing.
cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.introspector</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEST_SERVER_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-jdk14</artifactId><version>1.7.36</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
    </plugins>
  </build>
</project>
EOF
# (sed: Maven 3.8 prints colour resets even in quiet batch mode)
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/out/lib" 2>&1 |
  sed 's/\x1b\[0m//g' >&2
ls "$work/out/lib/temporal-test-server-$TEST_SERVER_VERSION.jar" >/dev/null

cat >"$work/out/logging.properties" <<'EOF'
handlers=java.util.logging.ConsoleHandler
.level=WARNING
java.util.logging.ConsoleHandler.level=WARNING
EOF
# Started by the SDK with the port as first argument; exec, so that the SDK's kill stops the JVM.
# The SDK gives a server 5 s to answer: a client JIT and the serial GC start the JVM fastest.
cat >"$work/out/temporal-test-server" <<'EOF'
#!/bin/sh
dir="$(dirname "$(readlink -f "$0")")"
java_bin=java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_bin="$JAVA_HOME/bin/java"
exec "$java_bin" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m \
  -Djava.util.logging.config.file="$dir/logging.properties" \
  -cp "$dir/lib/*" io.temporal.testserver.TestServer "$@"
EOF
chmod +x "$work/out/temporal-test-server"
touch "$work/out/lib/.complete"
rm -rf "$DIR"
mv "$work/out" "$DIR"
say "done in $((SECONDS - started)) s"
echo "$LAUNCHER"
