package bridge

import (
	"container/list"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/gardener/machine-controller-manager/pkg/apis/machine/v1alpha1"
	machinescheme "github.com/gardener/machine-controller-manager/pkg/client/clientset/versioned/scheme"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/codes"
	"github.com/gardener/machine-controller-manager/pkg/util/provider/machinecodes/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Event reasons the bridge posts. Driver errors use the MCM code name as reason (ResourceExhausted,
// InvalidArgument, ...), the same string MCM writes to lastOperation.errorCode.
const (
	// ReasonProviderSpecWarning: a MachineClass warning (unknown providerSpec field, ignored value).
	ReasonProviderSpecWarning = "ProviderSpecWarning"
	// ReasonServerCreated: CreateMachine answered OK, the Machine has its server.
	ReasonServerCreated = "ServerCreated"
	// EventComponent is the source.component of every Event the bridge posts.
	EventComponent = "stackit-driver"
)

const (
	// maxEventMessage keeps Events readable in kubectl describe (and within events.k8s.io's 1 kB
	// note); the full driver message is in the Machine's lastOperation.
	maxEventMessage = 1024
	// maxWarningsPerCall bounds what one response can post.
	maxWarningsPerCall = 20
)

// Events posts what the driver found as Kubernetes Events on the objects MCM asked about: warnings
// on the MachineClass, once per class generation, and driver errors on the Machine, once per
// distinct error until it changes, the call succeeds, or repeatAfter passes. MCM v0.62.1's machine
// controller records no Events itself (it has a recorder but never uses it), and MCM retries a
// failing Machine every 5 s: without the dedupe every retry would be an Event. Memory is bounded:
// the oldest entries are forgotten first, which at worst posts an Event again.
//
// A nil *Events posts nothing. Posting never blocks a driver call: client-go's broadcaster queues
// (and drops when 1000 are queued) and its correlator aggregates what still repeats.
type Events struct {
	recorder    record.EventRecorder
	repeatAfter time.Duration
	now         func() time.Time

	mu       sync.Mutex
	warned   *boundedMap[struct{}]
	failures *boundedMap[postedError]
}

type postedError struct {
	reason, shape string
	at            time.Time
}

// volatile are the parts of a driver message that differ between retries of one error: request
// IDs and other UUIDs, counts, durations (STACKIT puts a fresh request id into every answer).
var volatile = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9]+`)

// shapeOf is what makes two messages the same error for the dedupe.
func shapeOf(message string) string { return volatile.ReplaceAllString(message, "#") }

// NewEvents posts through recorder; a Machine's unchanged error is posted again after repeatAfter
// (Events expire, by default after an hour); at most capacity classes warnings and Machines are
// remembered each.
func NewEvents(recorder record.EventRecorder, repeatAfter time.Duration, capacity int) *Events {
	return &Events{
		recorder:    recorder,
		repeatAfter: repeatAfter,
		now:         time.Now,
		warned:      newBoundedMap[struct{}](capacity),
		failures:    newBoundedMap[postedError](capacity),
	}
}

// NewEventRecorder returns a recorder writing Events through client to each object's namespace
// (the control namespace), with the bridge's own source component and a scheme that knows MCM's
// kinds (Machine, MachineClass).
func NewEventRecorder(client kubernetes.Interface) (record.EventRecorder, func(), error) {
	scheme := runtime.NewScheme()
	if err := machinescheme.AddToScheme(scheme); err != nil {
		return nil, nil, fmt.Errorf("event scheme: %w", err)
	}
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return b.NewRecorder(scheme, corev1.EventSource{Component: EventComponent}), b.Shutdown, nil
}

// WithEvents sets where the bridge posts Events; nil posts none.
func (b *Bridge) WithEvents(e *Events) *Bridge {
	b.events = e
	return b
}

// ClassWarnings posts each warning as a Warning Event on mc, once per class generation: a class
// that is changed (new generation) is told again, an unchanged one is not, however often MCM calls.
func (e *Events) ClassWarnings(mc *v1alpha1.MachineClass, warnings []string) {
	if e == nil || mc == nil || len(warnings) == 0 {
		return
	}
	id := string(mc.UID)
	if id == "" {
		id = mc.Namespace + "/" + mc.Name
	}
	if len(warnings) > maxWarningsPerCall {
		warnings = warnings[:maxWarningsPerCall]
	}
	var post []string
	e.mu.Lock()
	for _, w := range warnings {
		key := fmt.Sprintf("%s\x00%d\x00%s", id, mc.Generation, w)
		if _, ok := e.warned.get(key); ok {
			continue
		}
		e.warned.put(key, struct{}{})
		post = append(post, w)
	}
	e.mu.Unlock()
	for _, w := range post {
		e.recorder.Event(mc, corev1.EventTypeWarning, ReasonProviderSpecWarning, truncate(w))
	}
}

// MachineResult posts a driver call's error as a Warning Event on m (reason: the MCM code name),
// unless MCM does not treat it as a failure (NotFound before a server exists, Uninitialized while
// one boots, ...) or it is the error already posted for m: same call, code and message apart from
// request IDs and numbers. Success forgets m's last error, so the
// next failure is posted. The orphan collector's stand-in Machine (no UID) gets nothing: a Machine
// of that name, if any, is another object.
func (e *Events) MachineResult(op string, m *v1alpha1.Machine, err error) {
	if e == nil || m == nil || m.UID == "" {
		return
	}
	key := string(m.UID)
	if err == nil {
		e.mu.Lock()
		e.failures.remove(key)
		e.mu.Unlock()
		return
	}
	s, _ := status.FromError(err)
	if !recordedByMCM(op, s.Code()) {
		return
	}
	reason := s.Code().String()
	message := truncate(fmt.Sprintf("%s: %s", op, s.Message()))
	shape := shapeOf(message)
	now := e.now()
	e.mu.Lock()
	last, ok := e.failures.get(key)
	repeat := ok && last.reason == reason && last.shape == shape && now.Sub(last.at) < e.repeatAfter
	if !repeat {
		e.failures.put(key, postedError{reason: reason, shape: shape, at: now})
	}
	e.mu.Unlock()
	if !repeat {
		e.recorder.Event(m, corev1.EventTypeWarning, reason, message)
	}
}

// ServerCreated posts a Normal Event on m once CreateMachine has given it its server.
func (e *Events) ServerCreated(m *v1alpha1.Machine, providerID, nodeName string) {
	if e == nil || m == nil || m.UID == "" {
		return
	}
	e.recorder.Eventf(m, corev1.EventTypeNormal, ReasonServerCreated, "CreateMachine: server %s (node name %s) belongs to this Machine; it boots now", providerID, nodeName)
}

// recordedByMCM reports whether MCM treats op's answer code as a failure (lastOperation Failed, a
// retry after backoff), rather than as a step of its flow.
func recordedByMCM(op string, c codes.Code) bool {
	switch {
	case c == codes.OK, c == codes.Unimplemented:
		return false
	case op == "GetMachineStatus":
		// NotFound: no server yet (create it); Uninitialized: it boots (initialize it).
		return c != codes.NotFound && c != codes.Uninitialized
	case op == "DeleteMachine":
		return c != codes.NotFound // already gone
	}
	return true
}

func truncate(s string) string {
	if len(s) <= maxEventMessage {
		return s
	}
	cut := maxEventMessage - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// boundedMap is a map that forgets its least recently written entries beyond max. Not safe for
// concurrent use (Events locks around it).
type boundedMap[V any] struct {
	max   int
	items map[string]*list.Element
	order *list.List // front: oldest write
}

type boundedEntry[V any] struct {
	key string
	val V
}

func newBoundedMap[V any](max int) *boundedMap[V] {
	if max < 1 {
		max = 1
	}
	return &boundedMap[V]{max: max, items: map[string]*list.Element{}, order: list.New()}
}

func (m *boundedMap[V]) get(key string) (V, bool) {
	if el, ok := m.items[key]; ok {
		return el.Value.(*boundedEntry[V]).val, true
	}
	var zero V
	return zero, false
}

func (m *boundedMap[V]) put(key string, v V) {
	if el, ok := m.items[key]; ok {
		el.Value.(*boundedEntry[V]).val = v
		m.order.MoveToBack(el)
		return
	}
	m.items[key] = m.order.PushBack(&boundedEntry[V]{key: key, val: v})
	for m.order.Len() > m.max {
		oldest := m.order.Front()
		m.order.Remove(oldest)
		delete(m.items, oldest.Value.(*boundedEntry[V]).key)
	}
}

func (m *boundedMap[V]) remove(key string) {
	if el, ok := m.items[key]; ok {
		m.order.Remove(el)
		delete(m.items, key)
	}
}

func (m *boundedMap[V]) len() int { return m.order.Len() }
