// Exercises the simulator with the official STACKIT SDK's service-account key flow
// (core/clients.KeyFlow): usage: go-keyflow <key.json> <url> <calls> <pause-ms>.
// Prints one HTTP status per call.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/stackitcloud/stackit-sdk-go/core/clients"
)

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var key clients.ServiceAccountKeyResponse
	if err := json.Unmarshal(raw, &key); err != nil {
		fail(err)
	}
	calls, _ := strconv.Atoi(os.Args[3])
	pause, _ := strconv.Atoi(os.Args[4])
	flow := &clients.KeyFlow{}
	// No TokenUrl: the SDK takes credentials.tokenEndpoint from the key.
	if err := flow.Init(&clients.KeyFlowConfig{ServiceAccountKey: &key, PrivateKey: *key.Credentials.PrivateKey}); err != nil {
		fail(err)
	}
	client := &http.Client{Transport: flow}
	for i := 0; i < calls; i++ {
		res, err := client.Get(os.Args[2])
		if err != nil {
			fail(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		fmt.Println(res.StatusCode)
		time.Sleep(time.Duration(pause) * time.Millisecond)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
