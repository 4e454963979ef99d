use strict;
use warnings;

package RT::Action::SyncThreatQEvent;

use base 'RT::Action';

use RT::Extension::ThreatQ;

=head1 NAME

RT::Action::SyncThreatQEvent - the ScripAction "Sync ticket with ThreatQ"

=head1 DESCRIPTION

Starts C<tq-rt-sync action --ticket N --transaction ID --type TYPE> in the
background for a transaction on a ticket of a queue listed in
C<RT_Queues_For_ThreatQ>. Transactions made by C<RT_User_For_ThreatQ> (the
sync's own writes) and RT's mail records are skipped. Settings, passwords
included, reach the program on its standard input, never on its command line;
see L<RT::Extension::ThreatQ>.

=cut

sub Prepare {
    my $self = shift;
    my $ticket = $self->TicketObj;
    my $txn    = $self->TransactionObj;
    return 0 unless $ticket && $ticket->Id && $txn && $txn->Id;

    RT->Logger->debug( 'ThreatQ: Sync Event Action Started (ticket ' . $ticket->Id . ', transaction ' . $txn->Id . ')' );
    my $settings = RT::Extension::ThreatQ->Settings;
    $self->{ThreatQSettings} = $settings;

    if ( $RT::Extension::ThreatQ::SKIP_TYPES{ $txn->Type } ) {
        RT->Logger->debug( 'ThreatQ: transaction ' . $txn->Id . ' is a ' . $txn->Type . ' record; not synced' );
        return 0;
    }

    my $queue = $ticket->QueueObj->Name;
    unless ( RT::Extension::ThreatQ->QueueSelected( $settings, $queue ) ) {
        RT->Logger->debug( 'ThreatQ: ticket ' . $ticket->Id . " is in queue '$queue', which RT_Queues_For_ThreatQ does not list; not synced" );
        return 0;
    }

    my $sync_user = $settings->{RT_User_For_ThreatQ};
    if ( defined $sync_user ) {
        my $creator = $txn->CreatorObj;
        if ( $creator && $creator->Id && lc( $creator->Name // '' ) eq lc $sync_user ) {
            RT->Logger->debug( 'ThreatQ: transaction ' . $txn->Id . " was made by RT_User_For_ThreatQ ($sync_user); not synced" );
            return 0;
        }
    }
    return 1;
}

sub Commit {
    my $self     = shift;
    my $ticket   = $self->TicketObj;
    my $txn      = $self->TransactionObj;
    my $settings = $self->{ThreatQSettings} || RT::Extension::ThreatQ->Settings;

    RT->Logger->debug( 'ThreatQ: Transaction Type - ' . $txn->Type );
    my @cmd = RT::Extension::ThreatQ->Command(
        $settings,
        Ticket      => $ticket->Id,
        Transaction => $txn->Id,
        Type        => $txn->Type,
    );
    # The command line holds no setting and no secret, so it can be logged.
    RT->Logger->debug( 'ThreatQ: Executing - ' . join( ' ', @cmd ) . ' (settings on standard input)' );
    my $describe = 'ticket ' . $ticket->Id . ' (transaction ' . $txn->Id . ', ' . $txn->Type . ')';
    RT::Extension::ThreatQ->RunInBackground( \@cmd, RT::Extension::ThreatQ->Input($settings), $describe );
    RT->Logger->debug('ThreatQ: Finished executing');
    return 1;
}

1;
