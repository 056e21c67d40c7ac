package deployments_test

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/p4w-nhs/p4w/internal/config"
)

const (
	kubeDir    = "kubernetes"
	baseDir    = "kubernetes/base"
	prodDir    = "kubernetes/overlays/production"
	p4wImage   = "ghcr.io/p4w-nhs/p4w"
	ingressNS  = "ingress-nginx"
	monitorNS  = "monitoring"
	cnpgSecret = "-app" // CloudNativePG's Secret for the application's owner: <cluster>-app
)

// kustomization is the part of kustomize's file that p4w's use.
type kustomization struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Namespace  string           `json:"namespace"`
	Resources  []string         `json:"resources"`
	Images     []kustomizeImage `json:"images"`
	Patches    []struct {
		Path string `json:"path"`
	} `json:"patches"`
}

type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName"`
	NewTag  string `json:"newTag"`
	Digest  string `json:"digest"`
}

// cnpgCluster is the part of CloudNativePG's Cluster (postgresql.cnpg.io/v1) that p4w sets.
type cnpgCluster struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Instances int    `json:"instances"`
		ImageName string `json:"imageName"`
		Storage   struct {
			Size         string `json:"size"`
			StorageClass string `json:"storageClass"`
		} `json:"storage"`
		Bootstrap struct {
			InitDB *struct {
				Database               string   `json:"database"`
				Owner                  string   `json:"owner"`
				PostInitApplicationSQL []string `json:"postInitApplicationSQL"`
			} `json:"initdb"`
		} `json:"bootstrap"`
	} `json:"spec"`
}

// manifests is one set of decoded objects: a directory's files, or what kustomize builds.
type manifests struct {
	deployments  []*appsv1.Deployment
	services     []*corev1.Service
	accounts     []*corev1.ServiceAccount
	jobs         []*batchv1.Job
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	pdbs         []*policyv1.PodDisruptionBudget
	policies     []*networkingv1.NetworkPolicy
	clusters     []*cnpgCluster
	kustomizes   []*kustomization
	namespaces   map[string]bool // of every object but kustomizations
	objectsCount int
}

// decodeManifests decodes every YAML document of data into the API type of its kind, refusing
// unknown fields and unknown kinds.
func decodeManifests(t *testing.T, name string, data []byte, into *manifests) {
	t.Helper()
	if into.namespaces == nil {
		into.namespaces = map[string]bool{}
	}
	for i, doc := range splitYAML(data) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("%s, document %d: %v", name, i+1, err)
		}
		where := name + " (" + head.Kind + ")"
		switch head.APIVersion + " " + head.Kind {
		case "apps/v1 Deployment":
			into.deployments = append(into.deployments, decodeInto[appsv1.Deployment](t, where, doc))
		case "v1 Service":
			into.services = append(into.services, decodeInto[corev1.Service](t, where, doc))
		case "v1 ServiceAccount":
			into.accounts = append(into.accounts, decodeInto[corev1.ServiceAccount](t, where, doc))
		case "batch/v1 Job":
			into.jobs = append(into.jobs, decodeInto[batchv1.Job](t, where, doc))
		case "autoscaling/v2 HorizontalPodAutoscaler":
			into.hpas = append(into.hpas, decodeInto[autoscalingv2.HorizontalPodAutoscaler](t, where, doc))
		case "policy/v1 PodDisruptionBudget":
			into.pdbs = append(into.pdbs, decodeInto[policyv1.PodDisruptionBudget](t, where, doc))
		case "networking.k8s.io/v1 NetworkPolicy":
			into.policies = append(into.policies, decodeInto[networkingv1.NetworkPolicy](t, where, doc))
		case "postgresql.cnpg.io/v1 Cluster":
			into.clusters = append(into.clusters, decodeInto[cnpgCluster](t, where, doc))
		case "kustomize.config.k8s.io/v1beta1 Kustomization":
			into.kustomizes = append(into.kustomizes, decodeInto[kustomization](t, where, doc))
			continue
		default:
			t.Fatalf("%s, document %d: no type to check apiVersion %q kind %q against", name, i+1, head.APIVersion, head.Kind)
		}
		into.namespaces[head.Metadata.Namespace] = true
		into.objectsCount++
	}
}

func decodeInto[T any](t *testing.T, name string, doc []byte) *T {
	t.Helper()
	v := new(T)
	decodeStrict(t, name, doc, v, nil)
	return v
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range docSeparator.Split(string(data), -1) {
		// A document of comments only is no object.
		var v any
		if yaml.Unmarshal([]byte(d), &v) == nil && v != nil {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// TestKubernetesManifestsDecodeStrictly decodes every file under deployments/kubernetes into the
// Kubernetes type of its kind, and checks that each kustomization names exactly the files beside it.
func TestKubernetesManifestsDecodeStrictly(t *testing.T) {
	dirs := map[string][]string{} // directory -> its YAML files
	err := filepath.WalkDir(kubeDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			t.Errorf("%s: not a YAML file; nothing else belongs here", p)
			return nil
		}
		var m manifests
		decodeManifests(t, p, mustRead(t, p), &m)
		dirs[filepath.Dir(p)] = append(dirs[filepath.Dir(p)], filepath.Base(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{baseDir, prodDir} {
		if _, ok := dirs[filepath.FromSlash(dir)]; !ok {
			t.Errorf("%s: missing", dir)
		}
	}
	for dir, files := range dirs {
		if !slices.Contains(files, "kustomization.yaml") {
			t.Errorf("%s: no kustomization.yaml; every manifest directory is a kustomization", dir)
			continue
		}
		var m manifests
		decodeManifests(t, filepath.Join(dir, "kustomization.yaml"), mustRead(t, filepath.Join(dir, "kustomization.yaml")), &m)
		k := m.kustomizes[0]
		listed := map[string]bool{}
		for _, r := range k.Resources {
			if info, err := os.Stat(filepath.Join(dir, r)); err != nil {
				t.Errorf("%s/kustomization.yaml: resource %s: %v", dir, r, err)
			} else if !info.IsDir() {
				listed[r] = true
			}
		}
		for _, p := range k.Patches {
			listed[p.Path] = true
		}
		for _, f := range files {
			if f != "kustomization.yaml" && !listed[f] {
				t.Errorf("%s/%s: not named in its kustomization.yaml, so never applied", dir, f)
			}
			delete(listed, f)
		}
		for f := range listed {
			t.Errorf("%s/kustomization.yaml names %s, which is not in %s", dir, f, dir)
		}
	}
}

// build runs kustomize on dir, as `kubectl apply -k dir` would, and decodes what it makes.
func build(t *testing.T, dir string) manifests {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	var m manifests
	decodeManifests(t, "kustomize build "+dir, out, &m)
	return m
}

func TestKubernetesBase(t *testing.T) {
	m := build(t, baseDir)
	checkAPI(t, m)
	for _, d := range m.deployments {
		env := containerEnv(d.Spec.Template.Spec.Containers[0])
		if ref := env["DATABASE_URL"].ValueFrom; ref == nil || ref.SecretKeyRef == nil {
			t.Errorf("base: DATABASE_URL must come from a Secret")
		}
	}
}

func TestKubernetesProduction(t *testing.T) {
	m := build(t, prodDir)
	checkAPI(t, m)

	var k manifests
	decodeManifests(t, prodDir+"/kustomization.yaml", mustRead(t, prodDir+"/kustomization.yaml"), &k)
	ns := k.kustomizes[0].Namespace
	if ns == "" || len(m.namespaces) != 1 || !m.namespaces[ns] {
		t.Errorf("production: every object must be in the overlay's namespace %q, got %v", ns, slices.Collect(maps.Keys(m.namespaces)))
	}
	var tag string
	for _, img := range k.kustomizes[0].Images {
		// The name must be the base's image, or kustomize changes nothing.
		if img.Name != p4wImage || img.NewName != "" {
			t.Errorf("production: images names %s (newName %q); the base runs %s", img.Name, img.NewName, p4wImage)
		}
		tag = img.NewTag
	}
	if tag == "" || tag == "latest" {
		t.Errorf("production: images must pin %s to a release tag, got %q", p4wImage, tag)
	}
	for _, d := range m.deployments {
		if img := d.Spec.Template.Spec.Containers[0].Image; img != p4wImage+":"+tag {
			t.Errorf("production: the API runs %s, want the overlay's %s:%s", img, p4wImage, tag)
		}
	}

	if len(m.clusters) != 1 {
		t.Fatalf("production: want one CloudNativePG Cluster, got %d", len(m.clusters))
	}
	cl := m.clusters[0]
	if cl.Spec.Instances != 2 || cl.Spec.Storage.Size == "" || cl.Spec.Bootstrap.InitDB == nil || cl.Spec.Bootstrap.InitDB.Owner == "" {
		t.Errorf("production: the Cluster needs 2 instances (a primary and a replica), storage and an initdb owner: %+v", cl.Spec)
	}
	if cl.Spec.Bootstrap.InitDB != nil && !slices.ContainsFunc(cl.Spec.Bootstrap.InitDB.PostInitApplicationSQL,
		func(s string) bool { return strings.HasPrefix(s, "CREATE ROLE p4w_api ") }) {
		t.Errorf("production: the owner CloudNativePG makes cannot create roles: initdb must create p4w_api for migration 6")
	}

	// Writes go to the primary through CloudNativePG's Secret; reads to the replica's service.
	secret := cl.Metadata.Name + cnpgSecret
	for _, c := range podContainers(m) {
		ref := containerEnv(c.c)["DATABASE_URL"].ValueFrom
		if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != secret || ref.SecretKeyRef.Key != "uri" {
			t.Errorf("production: %s: DATABASE_URL must be the Secret %s's uri, got %+v", c.name, secret, ref)
		}
	}
	for _, d := range m.deployments {
		env := containerEnv(d.Spec.Template.Spec.Containers[0])
		read := env["P4W_READ_DATABASE_URL"].Value
		if !strings.Contains(read, "@"+cl.Metadata.Name+"-ro:") {
			t.Errorf("production: P4W_READ_DATABASE_URL=%q, want the replica's service %s-ro", read, cl.Metadata.Name)
		}
	}
	for _, np := range m.policies {
		for _, r := range np.Spec.Egress {
			if slices.ContainsFunc(r.Ports, func(p networkingv1.NetworkPolicyPort) bool { return p.Port.IntValue() == 5432 }) &&
				(len(r.To) != 1 || r.To[0].PodSelector == nil || r.To[0].PodSelector.MatchLabels["cnpg.io/cluster"] != cl.Metadata.Name) {
				t.Errorf("production: egress to PostgreSQL must reach only the cluster %s's pods, got %+v", cl.Metadata.Name, r.To)
			}
		}
	}
}

type namedContainer struct {
	name string
	c    corev1.Container
	pod  corev1.PodSpec
}

func podContainers(m manifests) []namedContainer {
	var out []namedContainer
	for _, d := range m.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			out = append(out, namedContainer{"Deployment " + d.Name, c, d.Spec.Template.Spec})
		}
	}
	for _, j := range m.jobs {
		for _, c := range j.Spec.Template.Spec.Containers {
			out = append(out, namedContainer{"Job " + j.Name, c, j.Spec.Template.Spec})
		}
	}
	return out
}

func containerEnv(c corev1.Container) map[string]corev1.EnvVar {
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	return env
}

var envReference = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkAPI asserts what a cluster running the API depends on, for the base and every overlay.
func checkAPI(t *testing.T, m manifests) {
	t.Helper()
	if len(m.deployments) != 1 || len(m.jobs) != 1 || len(m.services) != 1 || len(m.hpas) != 1 || len(m.pdbs) != 1 ||
		len(m.policies) != 1 || len(m.accounts) != 1 {
		t.Fatalf("want one each of Deployment, Job, Service, HPA, PDB, NetworkPolicy and ServiceAccount; got %d, %d, %d, %d, %d, %d, %d",
			len(m.deployments), len(m.jobs), len(m.services), len(m.hpas), len(m.pdbs), len(m.policies), len(m.accounts))
	}
	d, job, svc, hpa, pdb, np, sa := m.deployments[0], m.jobs[0], m.services[0], m.hpas[0], m.pdbs[0], m.policies[0], m.accounts[0]
	pod := d.Spec.Template.Spec
	podLabels := d.Spec.Template.Labels
	known := configSettings()

	// The autoscaler owns the replica count.
	if d.Spec.Replicas != nil {
		t.Errorf("Deployment %s sets replicas (%d): each apply would reset what the HPA chose", d.Name, *d.Spec.Replicas)
	}
	if ref := hpa.Spec.ScaleTargetRef; ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != d.Name {
		t.Errorf("HPA %s targets %+v, not Deployment %s", hpa.Name, ref, d.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
		t.Errorf("HPA %s: minReplicas must keep at least 2 replicas, for the PDB to let a node drain", hpa.Name)
	}

	// Everything selects the Deployment's pods.
	selects := func(what string, sel map[string]string) {
		if len(sel) == 0 {
			t.Errorf("%s selects every pod", what)
		}
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%s, which the Deployment's pods lack (%v)", what, k, v, podLabels)
			}
		}
	}
	selects("Service "+svc.Name, svc.Spec.Selector)
	if pdb.Spec.Selector == nil || len(pdb.Spec.Selector.MatchExpressions) > 0 {
		t.Errorf("PDB %s: want matchLabels only", pdb.Name)
	} else {
		selects("PDB "+pdb.Name, pdb.Spec.Selector.MatchLabels)
	}
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Errorf("PDB %s: neither maxUnavailable nor minAvailable", pdb.Name)
	}
	if len(np.Spec.PodSelector.MatchExpressions) > 0 {
		t.Errorf("NetworkPolicy %s: want matchLabels only", np.Name)
	}
	selects("NetworkPolicy "+np.Name, np.Spec.PodSelector.MatchLabels)

	// Ingress only from the ingress controller's namespace (and Prometheus, for /metrics), and
	// only to the API's port: P4W_TRUST_PROXY_HEADERS trusts X-Forwarded-For.
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("NetworkPolicy %s: policyTypes %v, want Ingress and Egress", np.Name, np.Spec.PolicyTypes)
	}
	admitsIngress := false
	for _, r := range np.Spec.Ingress {
		if len(r.From) == 0 {
			t.Errorf("NetworkPolicy %s: an ingress rule without from admits everyone", np.Name)
		}
		for _, p := range r.Ports {
			if p.Port == nil || (p.Port.String() != "http" && p.Port.IntValue() != 8080) {
				t.Errorf("NetworkPolicy %s: ingress to port %v, want only the API's (http)", np.Name, p.Port)
			}
		}
		if len(r.Ports) == 0 {
			t.Errorf("NetworkPolicy %s: an ingress rule without ports admits every port", np.Name)
		}
		for _, from := range r.From {
			ns := ""
			if from.NamespaceSelector != nil && len(from.NamespaceSelector.MatchExpressions) == 0 {
				ns = from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]
			}
			switch {
			case from.IPBlock != nil:
				t.Errorf("NetworkPolicy %s: ingress from an IP block bypasses the ingress controller", np.Name)
			case ns == ingressNS && len(from.NamespaceSelector.MatchLabels) == 1:
				admitsIngress = true
			case ns == monitorNS && from.PodSelector != nil && from.PodSelector.MatchLabels["app.kubernetes.io/name"] == "prometheus":
			default:
				t.Errorf("NetworkPolicy %s: admits %+v; only the %s namespace (and %s's Prometheus) may reach the API", np.Name, from, ingressNS, monitorNS)
			}
		}
	}
	if !admitsIngress {
		t.Errorf("NetworkPolicy %s: the ingress controller's namespace %s cannot reach the API", np.Name, ingressNS)
	}
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			if n := p.Port.IntValue(); n != 5432 && n != 53 {
				t.Errorf("NetworkPolicy %s: egress to port %v; the API needs only PostgreSQL and DNS", np.Name, p.Port)
			}
		}
		if len(r.Ports) == 0 {
			t.Errorf("NetworkPolicy %s: an egress rule without ports lets the pods reach anything", np.Name)
		}
	}

	// The identity: no Kubernetes API token anywhere.
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount %s must set automountServiceAccountToken: false", sa.Name)
	}

	// The API container.
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment %s: want one container, got %d", d.Name, len(pod.Containers))
	}
	api := pod.Containers[0]
	if !slices.Equal(api.Args, []string{"serve"}) || !slices.Equal(job.Spec.Template.Spec.Containers[0].Args, []string{"migrate", "up"}) {
		t.Errorf("the API must run `serve` and the Job `migrate up`: got %v and %v", api.Args, job.Spec.Template.Spec.Containers[0].Args)
	}
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("Job %s: restartPolicy %q, want Never (the Job's backoffLimit retries)", job.Name, job.Spec.Template.Spec.RestartPolicy)
	}
	if job.Spec.Template.Spec.Containers[0].Image != api.Image {
		t.Errorf("Job %s runs %s, the API %s: migrations must come from the release being rolled out", job.Name,
			job.Spec.Template.Spec.Containers[0].Image, api.Image)
	}
	httpPort := int32(0)
	for _, p := range api.Ports {
		if p.Name == "http" {
			httpPort = p.ContainerPort
		}
	}
	if httpPort == 0 {
		t.Fatalf("Deployment %s: no container port named http", d.Name)
	}

	// Probes hit endpoints the API has.
	paths := openapiPaths(t)
	probe := func(what string, p *corev1.Probe, want string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("Deployment %s: no HTTP %s", d.Name, what)
			return
		}
		if p.HTTPGet.Path != want || !paths[want] || p.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("Deployment %s: %s asks %s on %v, want %s on http (openapi.yaml has it: %v)", d.Name, what,
				p.HTTPGet.Path, p.HTTPGet.Port.String(), want, paths[want])
		}
	}
	probe("startupProbe", api.StartupProbe, "/healthz")
	probe("livenessProbe", api.LivenessProbe, "/healthz")
	probe("readinessProbe", api.ReadinessProbe, "/readyz")

	// Prometheus finds /metrics on the API's port.
	ann := d.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != itoa(httpPort) {
		t.Errorf("Deployment %s: pod annotations %v, want prometheus.io/scrape \"true\", path /metrics, port %d", d.Name, ann, httpPort)
	}

	// Shutdown: the preStop sleep, then the drain and the shutdown, all within the grace period.
	env := containerEnv(api)
	cfg, err := config.Load(func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://x"
		}
		return env[k].Value
	})
	if err != nil {
		t.Fatalf("Deployment %s: its environment does not load: %v", d.Name, err)
	}
	if api.Lifecycle == nil || api.Lifecycle.PreStop == nil || api.Lifecycle.PreStop.Sleep == nil {
		t.Errorf("Deployment %s: no preStop sleep: requests would reach a pod whose endpoint is being removed", d.Name)
	} else {
		need := time.Duration(api.Lifecycle.PreStop.Sleep.Seconds)*time.Second + cfg.DrainDelay + cfg.ShutdownTimeout
		if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= need {
			t.Errorf("Deployment %s: terminationGracePeriodSeconds must exceed preStop + drain + shutdown (%s)", d.Name, need)
		}
	}
	if cfg.MigrateOnStart {
		t.Errorf("Deployment %s: P4W_MIGRATE_ON_START must be false: the Job migrates, once", d.Name)
	}
	if !cfg.TrustProxyHeaders {
		t.Errorf("Deployment %s: behind the ingress controller, P4W_TRUST_PROXY_HEADERS=true gives the rate limit the client's address", d.Name)
	}

	// The key rotation's verify keys: files on a read-only Secret volume.
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range api.VolumeMounts {
		mounts[vm.Name] = vm
	}
	if len(cfg.JWTVerifyKeyFiles) == 0 {
		t.Errorf("Deployment %s: P4W_JWT_VERIFY_KEY_FILES is not set: a rotation would need a new manifest", d.Name)
	}
	for _, f := range cfg.JWTVerifyKeyFiles {
		found := false
		for _, v := range pod.Volumes {
			vm, ok := mounts[v.Name]
			if ok && v.Secret != nil && strings.HasPrefix(f, strings.TrimSuffix(vm.MountPath, "/")+"/") {
				found = true
				if !vm.ReadOnly {
					t.Errorf("Deployment %s: the verify keys' volume %s must be mounted read-only", d.Name, v.Name)
				}
			}
		}
		if !found {
			t.Errorf("Deployment %s: P4W_JWT_VERIFY_KEY_FILES names %s, which is on no Secret volume", d.Name, f)
		}
	}

	// Each pod: our ServiceAccount and no token, a pinned image, a read-only root, no privileges,
	// and only settings p4w reads.
	for _, c := range podContainers(m) {
		if c.pod.ServiceAccountName != sa.Name || c.pod.AutomountServiceAccountToken == nil || *c.pod.AutomountServiceAccountToken {
			t.Errorf("%s: want serviceAccountName %s and automountServiceAccountToken false", c.name, sa.Name)
		}
		repo, tag, _ := strings.Cut(c.c.Image, ":")
		if repo != p4wImage || tag == "" || tag == "latest" {
			t.Errorf("%s: image %s, want %s pinned to a release", c.name, c.c.Image, p4wImage)
		}
		sc := c.c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
			*sc.AllowPrivilegeEscalation || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: want a read-only root filesystem, non-root, no privilege escalation", c.name)
		}
		for i, e := range c.c.Env {
			if known[e.Name] {
				continue
			}
			// A name that is no setting is allowed only as an input to a later setting's $(NAME).
			used := false
			for _, later := range c.c.Env[i+1:] {
				for _, ref := range envReference.FindAllStringSubmatch(later.Value, -1) {
					used = used || (ref[1] == e.Name && known[later.Name])
				}
			}
			if !used {
				t.Errorf("%s: environment %s is neither a setting internal/config reads nor an input to one's $(%s)", c.name, e.Name, e.Name)
			}
		}
		for _, e := range c.c.Env {
			for _, ref := range envReference.FindAllStringSubmatch(e.Value, -1) {
				if i := slices.IndexFunc(c.c.Env, func(x corev1.EnvVar) bool { return x.Name == ref[1] }); i < 0 ||
					i > slices.IndexFunc(c.c.Env, func(x corev1.EnvVar) bool { return x.Name == e.Name }) {
					t.Errorf("%s: %s refers to $(%s), which is not defined before it: the kubelet would not expand it", c.name, e.Name, ref[1])
				}
			}
		}
		if ref := containerEnv(c.c)["DATABASE_URL"]; ref.ValueFrom == nil || ref.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: DATABASE_URL must come from a Secret", c.name)
		}
	}
}

// openapiPaths is every path the API serves, from its contract.
func openapiPaths(t *testing.T) map[string]bool {
	t.Helper()
	var spec struct {
		Paths map[string]any `json:"paths"`
	}
	if err := yaml.Unmarshal(mustRead(t, "../openapi.yaml"), &spec); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for p := range spec.Paths {
		out[path.Clean(p)] = true
	}
	return out
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
