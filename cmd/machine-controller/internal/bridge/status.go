package bridge

import (
	"fmt"
	"strings"

	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"

	"mcm-provider-stackit/cmd/machine-controller/internal/protocol/driverv1"
)

// maxCode is the highest MCM machine code (Uninitialized).
const maxCode = int32(codes.Uninitialized)

// StatusError rebuilds the machinecodes/status error MCM expects from the plugin's wire status.
// nil or code 0 means success. MCM only understands its own error type (it parses Error() by
// square brackets), so the code name and message must survive status.FromError unchanged.
func StatusError(s *driverv1.Status) error {
	if s == nil || s.GetCode() == 0 {
		return nil
	}
	c, msg := s.GetCode(), s.GetMessage()
	if c < 0 || c > maxCode {
		return status.Error(codes.Unknown, SafeMessage(fmt.Sprintf("driver returned unknown code %d: %s", c, msg)))
	}
	return status.Error(codes.Code(c), SafeMessage(msg)) // #nosec G115 -- range checked above
}

// SafeMessage returns msg unchanged when status.FromError can recover it from the rendered error,
// i.e. its square brackets nest properly. Otherwise brackets become parentheses: an unbalanced `[`
// would make MCM read the whole error as Unknown, a stray `]` would truncate the message.
func SafeMessage(msg string) string {
	if bracketsNest(msg) {
		return msg
	}
	return strings.NewReplacer("[", "(", "]", ")").Replace(msg)
}

func bracketsNest(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			if depth == 0 {
				return false
			}
			depth--
		}
	}
	return depth == 0
}
