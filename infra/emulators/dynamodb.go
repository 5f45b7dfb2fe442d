package emulators

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

var dynamoDB = emulator{name: "DynamoDB Local"}

// DynamoDB returns the endpoint (http://127.0.0.1:<port>) of DynamoDB Local,
// started in memory on first use and shared by the test binary. Tests share
// its tables, so each test should create its own uniquely named table.
//
// It runs with -sharedDb, so every access key and region sees the same
// tables; any static credentials work.
func DynamoDB(t testing.TB) string {
	t.Helper()
	return dynamoDB.get(t, startDynamoDB)
}

// javaOpts trade peak speed for start-up time: C1 only and the serial
// collector take DynamoDB Local from about 3.6 s to 2.5 s to first answer,
// and tests run too few requests for C2 to pay off.
var javaOpts = []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m"}

func startDynamoDB() (string, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("java is not installed (DynamoDB Local needs Java 17+): %w", err)
	}
	d, err := dir()
	if err != nil {
		return "", err
	}
	if err := ensureInstalled(d); err != nil {
		return "", err
	}
	jarDir, err := dynamoDBLocalDir(d)
	if err != nil {
		return "", err
	}
	mk := func(port int) *exec.Cmd {
		args := append([]string{}, javaOpts...)
		args = append(args,
			"-Djava.library.path="+filepath.Join(jarDir, "DynamoDBLocal_lib"),
			"-jar", filepath.Join(jarDir, "DynamoDBLocal.jar"),
			"-inMemory", "-sharedDb", "-port", fmt.Sprint(port))
		cmd := exec.Command(java, args...)
		cmd.Dir = jarDir
		return cmd
	}
	// DynamoDB Local answers a bare GET with 400; any answer means it is up.
	return start("DynamoDB Local", mk, answers("/", 0))
}
