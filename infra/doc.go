// Package infra holds what deploys and runs Aftercare outside the Lambda
// code: the local runtime, emulator harnesses, developer commands, and the
// tests that keep template.yaml (the SAM template at the repository root)
// in agreement with the code it deploys.
package infra
