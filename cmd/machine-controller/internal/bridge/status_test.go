package bridge

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

func TestStatusErrorNilAndOKAreSuccess(t *testing.T) {
	if err := StatusError(nil); err != nil {
		t.Fatalf("nil status: %v", err)
	}
	if err := StatusError(&driverv1.Status{Code: 0, Message: "ignored"}); err != nil {
		t.Fatalf("code 0: %v", err)
	}
}

func TestStatusErrorEveryCodeParsesBackExactly(t *testing.T) {
	messages := []string{
		"",
		"server abc not found",
		"quota exceeded [project p-1]",
		"nested [a [b] c] and [d]",
		"machine codes error: code = [NotFound] message = [inner]",
	}
	for c := int32(1); c <= 17; c++ {
		for _, msg := range messages {
			err := StatusError(&driverv1.Status{Code: c, Message: msg})
			if err == nil {
				t.Fatalf("code %d: nil error", c)
			}
			want := fmt.Sprintf("machine codes error: code = [%s] message = [%s]", codes.Code(c), msg)
			if err.Error() != want {
				t.Fatalf("code %d: Error() = %q, want %q", c, err.Error(), want)
			}
			s, ok := status.FromError(err)
			if !ok || int32(s.Code()) != c || s.Message() != msg {
				t.Fatalf("code %d msg %q: FromError = (%v, %q, ok=%v)", c, msg, s.Code(), s.Message(), ok)
			}
			// And back to the wire, unchanged.
			w := toStatus(err)
			if w.GetCode() != c || w.GetMessage() != msg {
				t.Fatalf("code %d: ToStatus = %v", c, w)
			}
		}
	}
}

func TestStatusErrorUnbalancedBracketsKeepCode(t *testing.T) {
	for _, msg := range []string{"open [ only", "close ] only", "][", "a [b] c]", "[[x]"} {
		for c := int32(1); c <= 17; c++ {
			err := StatusError(&driverv1.Status{Code: c, Message: msg})
			s, ok := status.FromError(err)
			if !ok || int32(s.Code()) != c {
				t.Fatalf("msg %q code %d: parsed as %v ok=%v", msg, c, s.Code(), ok)
			}
			want := strings.NewReplacer("[", "(", "]", ")").Replace(msg)
			if s.Message() != want {
				t.Fatalf("msg %q: got %q, want %q", msg, s.Message(), want)
			}
		}
	}
}

func TestStatusErrorRandomMessagesAlwaysParse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("ab []()=:\n\"ü")
	for i := 0; i < 5000; i++ {
		n := r.IntN(30)
		var sb strings.Builder
		for j := 0; j < n; j++ {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		msg := sb.String()
		c := int32(1 + r.IntN(17))
		s, ok := status.FromError(StatusError(&driverv1.Status{Code: c, Message: msg}))
		if !ok || int32(s.Code()) != c {
			t.Fatalf("msg %q code %d: parsed as %v ok=%v", msg, c, s.Code(), ok)
		}
		if bracketsNest(msg) && s.Message() != msg {
			t.Fatalf("balanced msg %q came back as %q", msg, s.Message())
		}
	}
}

func TestStatusErrorOutOfRangeIsUnknown(t *testing.T) {
	for _, c := range []int32{-1, 18, 99} {
		s, ok := status.FromError(StatusError(&driverv1.Status{Code: c, Message: "x"}))
		if !ok || s.Code() != codes.Unknown || !strings.Contains(s.Message(), fmt.Sprint(c)) {
			t.Fatalf("code %d: got %v %q ok=%v", c, s.Code(), s.Message(), ok)
		}
	}
}

func TestToStatusOfForeignErrorIsUnknown(t *testing.T) {
	w := toStatus(fmt.Errorf("plain"))
	if w.GetCode() != int32(codes.Unknown) || w.GetMessage() != "plain" {
		t.Fatalf("got %v", w)
	}
	if toStatus(nil) != nil {
		t.Fatal("nil error must give nil status")
	}
}

// toStatus is the inverse of StatusError, for round-trip checks: the wire form of an MCM error (nil for nil).
// Errors that are not machinecodes/status errors become Unknown, as status.FromError does.
func toStatus(err error) *driverv1.Status {
	if err == nil {
		return nil
	}
	s, _ := status.FromError(err)
	return &driverv1.Status{Code: int32(s.Code()), Message: s.Message()} // #nosec G115 -- codes are 0..17
}
