# The seed README's local workflow; both delegate to the same scripts as the make targets.
# `just` itself is pinned through the npm registry (rust-just): run it as `npx just <recipe>`.

# the local environment: the whole stack on the STACKIT simulator (Ctrl-C stops it)
dev:
    make demo

# run the provider locally against CONTROL_KUBECONFIG / TARGET_KUBECONFIG / CONTROL_NAMESPACE
start:
    make start

# every test
test:
    make test
