/* The end-to-end node's pod sandbox process: holds the pod's namespaces and waits, as Kubernetes' own
   pause does, until it is told to stop. Built statically, the only file of its image. */
#include <signal.h>
#include <unistd.h>

static void stop(int signal_number) { (void)signal_number; _exit(0); }

int main(void) {
    signal(SIGINT, stop);
    signal(SIGTERM, stop);
    for (;;) pause();
}
