"""TripleO's `openstack baremetal introspection bulk start`, against Introspector.

What python-tripleoclient's command did, step by step: nodes in enroll or available are made
manageable, every manageable node is introspected, and when none failed the manageable nodes
are made available. The introspection is one bulk run of Introspector
(POST /v1/introspection {"all_manageable": true}), its progress printed from one
GET /v1/introspection/bulk/<id> per tick until it ends.
"""

import time

from osc_lib.command import command
from osc_lib import exceptions

POLL_SECONDS = 2
#: `manage` checks each node's BMC; `provide` only records the change.
STATE_CHANGE_TIMEOUT_SECONDS = 900
#: Failed or skipped nodes fetched per tick, printed at the end.
REPORTED_NODES = 50


class BulkStart(command.Command):
    """Start bulk introspection on all baremetal nodes (TripleO's command).

    Nodes in enroll or available are made manageable first; when every manageable node has been
    introspected without a failure, the manageable nodes are made available.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--run-validations', action='store_true', default=False,
            help="TripleO's pre-deployment validations: not available with Introspector "
                 "(the command refuses to start)")
        return parser

    def take_action(self, parsed_args):
        if parsed_args.run_validations:
            raise exceptions.CommandError(
                '--run-validations: the TripleO Validations are not part of Introspector; '
                'run them with tripleo-validations, then this command without the option')
        ironic = self.app.client_manager.baremetal
        inspector = self.app.client_manager.baremetal_introspection

        self._say('Setting nodes for introspection to manageable...')
        self._move(ironic, ('available', 'enroll'), 'manage', 'manageable')

        self._say('Starting introspection of manageable nodes')
        started = inspector.request('post', '/introspection', json={'all_manageable': True}).json()
        bulk_id = started['bulk_id']
        self._say('Bulk introspection %s started' % bulk_id)
        status = self._follow(inspector, bulk_id)

        for node in status.get('nodes', []):
            self._say('  %s: %s%s' % (node.get('name') or node['uuid'], node['state'],
                                      ': %s' % node['error'] if node.get('error') else ''))
        if status['state'] != 'finished' or status['failed']:
            raise exceptions.CommandError(
                'Bulk introspection %s ended %s with %d failed node(s) of %d; the nodes stay '
                'as they are. See `introspector introspection bulk status %s`.'
                % (bulk_id, status['state'], status['failed'], status['total'], bulk_id))

        self._say('Setting manageable nodes to available...')
        self._move(ironic, ('manageable',), 'provide', 'available')
        self._say('Introspection completed: %d finished, %d skipped'
                  % (status['finished'], status['skipped']))

    def _say(self, line):
        self.app.stdout.write(line + '\n')
        self.app.stdout.flush()

    def _follow(self, inspector, bulk_id):
        """Prints the bulk's counts whenever they change; returns its last status once it ended."""
        query = {'state': 'failed,skipped', 'limit': REPORTED_NODES}
        last = None
        while True:
            status = inspector.request('get', '/introspection/bulk/%s' % bulk_id, params=query).json()
            line = ('%d/%d done: running %d, finished %d, failed %d, skipped %d, pending %d'
                    % (status['finished'] + status['failed'] + status['skipped'], status['total'],
                       status['running'], status['finished'], status['failed'],
                       status['skipped'], status['pending']))
            # the bulk counts its selection once it runs: nothing worth a line before
            counted = status['total'] or status['state'] != 'running'
            if counted and line != last:
                self._say(line)
                last = line
            if status['state'] != 'running':
                return status
            time.sleep(POLL_SECONDS)

    def _move(self, ironic, states, verb, target):
        """Asks every node in `states` for `verb` and waits until each reached `target` or failed."""
        waiting = {}
        for state in states:
            for node in ironic.node.list(provision_state=state, limit=0):
                ironic.node.set_provision_state(node.uuid, verb)
                waiting[node.uuid] = node.name or node.uuid
        deadline = time.monotonic() + STATE_CHANGE_TIMEOUT_SECONDS
        failed = []
        while waiting:
            for uuid, name in list(waiting.items()):
                node = ironic.node.get(uuid, fields=['provision_state', 'target_provision_state', 'last_error'])
                if node.provision_state == target:
                    del waiting[uuid]
                elif node.target_provision_state is None:
                    failed.append('%s: %s' % (name, node.last_error or 'left in %s' % node.provision_state))
                    del waiting[uuid]
            if waiting and time.monotonic() > deadline:
                failed.extend('%s: still not %s after %d s' % (name, target, STATE_CHANGE_TIMEOUT_SECONDS)
                              for name in waiting.values())
                break
            if waiting:
                time.sleep(POLL_SECONDS)
        for line in failed:
            self._say('  %s' % line)
