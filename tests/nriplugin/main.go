// Command nriconform is a small NRI plugin on containerd's stub library, used only by the
// simulator's conformance tests. Pod annotations tell it what to answer:
//
//	conform/cpus, conform/mems   CreateContainer adjusts the container's cpuset to these
//	conform/refuse               CreateContainer is refused with this message
//	conform/delay-ms             CreateContainer answers after this many milliseconds
//	conform/sync-cpus            Synchronize asks to move the pod's containers to these CPUs
//	conform/move-cpus            after CreateContainer answers, UpdateContainers moves every
//	                             other container it knows to these CPUs, plus one container
//	                             that does not exist (its failure must come back)
//
// NRI_CONFORM_EVENTS (comma-separated event names) narrows the subscription.
// Every event is printed to stdout, one line each.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"
)

type plugin struct {
	stub  stub.Stub
	mu    sync.Mutex
	known map[string]string // container id -> name
}

func say(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
}

func optInt(v interface{ GetValue() int64 }) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(v.GetValue(), 10)
}

func describe(c *api.Container) string {
	cpus, quota, period, shares, mem := "", "-", "-", "-", "-"
	if r := c.GetLinux().GetResources(); r != nil {
		if cpu := r.GetCpu(); cpu != nil {
			cpus = cpu.GetCpus()
			if cpu.GetQuota() != nil {
				quota = optInt(cpu.GetQuota())
			}
			if cpu.GetPeriod() != nil {
				period = strconv.FormatUint(cpu.GetPeriod().GetValue(), 10)
			}
			if cpu.GetShares() != nil {
				shares = strconv.FormatUint(cpu.GetShares().GetValue(), 10)
			}
		}
		if m := r.GetMemory(); m != nil && m.GetLimit() != nil {
			mem = optInt(m.GetLimit())
		}
	}
	return fmt.Sprintf("%s cpus=%q quota=%s period=%s shares=%s memory=%s", c.GetName(), cpus, quota, period, shares, mem)
}

func (p *plugin) Configure(_ context.Context, _, runtime, version string) (api.EventMask, error) {
	say("CONFIGURE runtime=%s version=%s registration=%s request=%s", runtime, version,
		p.stub.RegistrationTimeout(), p.stub.RequestTimeout())
	names := os.Getenv("NRI_CONFORM_EVENTS")
	if names == "" {
		return 0, nil
	}
	mask, err := api.ParseEventMask(names)
	if err != nil {
		return 0, err
	}
	return mask, nil
}

func (p *plugin) Synchronize(_ context.Context, pods []*api.PodSandbox, containers []*api.Container) ([]*api.ContainerUpdate, error) {
	say("SYNCHRONIZE pods=%d containers=%d", len(pods), len(containers))
	byID := map[string]*api.PodSandbox{}
	for _, pod := range pods {
		byID[pod.GetId()] = pod
	}
	sort.Slice(containers, func(i, j int) bool { return containers[i].GetName() < containers[j].GetName() })
	var updates []*api.ContainerUpdate
	for _, c := range containers {
		p.remember(c)
		pod := byID[c.GetPodSandboxId()]
		say("SYNC-CONTAINER %s/%s %s", pod.GetNamespace(), pod.GetName(), describe(c))
		if cpus := pod.GetAnnotations()["conform/sync-cpus"]; cpus != "" {
			u := &api.ContainerUpdate{}
			u.SetContainerId(c.GetId())
			u.SetLinuxCPUSetCPUs(cpus)
			updates = append(updates, u)
		}
	}
	return updates, nil
}

func (p *plugin) remember(c *api.Container) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known[c.GetId()] = c.GetName()
}

func (p *plugin) RunPodSandbox(_ context.Context, pod *api.PodSandbox) error {
	say("RUN-POD %s/%s uid=%s sandbox=%d annotations=%d", pod.GetNamespace(), pod.GetName(), pod.GetUid(),
		len(pod.GetId()), len(pod.GetAnnotations()))
	return nil
}

func (p *plugin) CreateContainer(_ context.Context, pod *api.PodSandbox, c *api.Container) (*api.ContainerAdjustment, []*api.ContainerUpdate, error) {
	say("CREATE %s/%s %s", pod.GetNamespace(), pod.GetName(), describe(c))
	ann := pod.GetAnnotations()
	if ms, err := strconv.Atoi(ann["conform/delay-ms"]); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		say("DELAYED %s %dms", c.GetName(), ms)
	}
	if msg := ann["conform/refuse"]; msg != "" {
		return nil, nil, fmt.Errorf("%s", msg)
	}
	adjust := &api.ContainerAdjustment{}
	if cpus := ann["conform/cpus"]; cpus != "" {
		adjust.SetLinuxCPUSetCPUs(cpus)
	}
	if mems := ann["conform/mems"]; mems != "" {
		adjust.SetLinuxCPUSetMems(mems)
	}
	if cpus := ann["conform/move-cpus"]; cpus != "" {
		go p.moveOthers(c.GetId(), cpus)
	}
	p.remember(c)
	return adjust, nil, nil
}

func (p *plugin) moveOthers(self, cpus string) {
	p.mu.Lock()
	var ids []string
	for id := range p.known {
		if id != self {
			ids = append(ids, id)
		}
	}
	p.mu.Unlock()
	sort.Strings(ids)
	ids = append(ids, strings.Repeat("0", 64))
	var updates []*api.ContainerUpdate
	for _, id := range ids {
		u := &api.ContainerUpdate{}
		u.SetContainerId(id)
		u.SetLinuxCPUSetCPUs(cpus)
		updates = append(updates, u)
	}
	failed, err := p.stub.UpdateContainers(updates)
	var failedIDs []string
	for _, f := range failed {
		failedIDs = append(failedIDs, f.GetContainerId())
	}
	say("UPDATED requested=%d failed=%s err=%v", len(updates), strings.Join(failedIDs, ","), err)
}

func (p *plugin) UpdateContainer(_ context.Context, pod *api.PodSandbox, c *api.Container, r *api.LinuxResources) ([]*api.ContainerUpdate, error) {
	say("UPDATE %s/%s %s", pod.GetNamespace(), pod.GetName(), describe(c))
	return nil, nil
}

func (p *plugin) RemoveContainer(_ context.Context, pod *api.PodSandbox, c *api.Container) error {
	say("REMOVE %s/%s %s", pod.GetNamespace(), pod.GetName(), c.GetName())
	p.mu.Lock()
	delete(p.known, c.GetId())
	p.mu.Unlock()
	return nil
}

// sysfs is one file of /sys/devices/system as this process sees it ("-" when absent)
func sysfs(name string) string {
	data, err := os.ReadFile("/sys/devices/system/" + name)
	if err != nil {
		return "-"
	}
	return strings.TrimSpace(string(data))
}

func main() {
	socket := flag.String("socket", "", "NRI socket to dial")
	flag.Parse()
	p := &plugin{known: map[string]string{}}
	opts := []stub.Option{
		stub.WithPluginName("conform"),
		stub.WithPluginIdx("10"),
		stub.WithOnClose(func() {
			say("CONNECTION CLOSED")
			os.Exit(0)
		}),
	}
	if *socket != "" {
		opts = append(opts, stub.WithSocketPath(*socket))
	}
	s, err := stub.New(p, opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "failed to create plugin stub: %v\n", err)
		os.Exit(1)
	}
	p.stub = s
	say("STARTING pid=%d", os.Getpid())
	say("TOPOLOGY online=%s offline=%s possible=%s siblings0=%s node0=%s node1=%s", sysfs("cpu/online"),
		sysfs("cpu/offline"), sysfs("cpu/possible"), sysfs("cpu/cpu0/topology/thread_siblings_list"),
		sysfs("node/node0/cpulist"), sysfs("node/node1/cpulist"))
	if err := s.Run(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "plugin exited with error: %v\n", err)
		os.Exit(1)
	}
}
