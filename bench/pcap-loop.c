/* pcap-loop: the "plain read" baseline of the why502 benchmark.
 *
 * The least any libpcap program does with a capture: open it, fetch every frame with
 * pcap_next_ex(), count frames and their bytes. No decoding. The FILE gets a 1 MiB stdio buffer
 * (setvbuf before pcap_fopen_offline), so the loop is not held back by small reads.
 *
 *   pcap-loop FILE      prints "packets N bytes B caplen C span S" (B: bytes on the wire, C:
 *                       captured, S: seconds of packet time from the first frame to the last)
 *
 * Build: gcc -std=c17 -O2 -Wall -Wextra -o pcap-loop pcap-loop.c -lpcap
 * Exit: 0 read to the end, 1 error (message on standard error).
 */
#define _DEFAULT_SOURCE /* u_char and friends in <pcap/pcap.h> under -std=c17 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 1;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "pcap-loop: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    static char buf[1 << 20];
    if (setvbuf(f, buf, _IOFBF, sizeof buf) != 0) {
        fprintf(stderr, "pcap-loop: setvbuf failed\n");
        fclose(f);
        return 1;
    }
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_fopen_offline(f, err);
    if (p == NULL) {
        fprintf(stderr, "pcap-loop: %s: %s\n", argv[1], err);
        fclose(f);
        return 1;
    }
    uint64_t packets = 0, bytes = 0, caplen = 0;
    double first = 0, last = 0; /* s, packet time (the span is printed) */
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->len;
        caplen += h->caplen;
        last = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
        if (packets == 1)
            first = last;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap-loop: %s: %s (after %" PRIu64 " packets)\n", argv[1], pcap_geterr(p),
                packets);
        pcap_close(p);
        return 1;
    }
    printf("packets %" PRIu64 " bytes %" PRIu64 " caplen %" PRIu64 " span %.1f\n", packets, bytes,
           caplen, last - first);
    pcap_close(p); /* closes f too */
    return 0;
}
