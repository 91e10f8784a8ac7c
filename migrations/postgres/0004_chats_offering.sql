-- Open chats with a forward offer or an invitation out: the only ones whose offers can lapse.
-- Every node checks for lapsed offers each second; before this it read every open chat.
CREATE INDEX chats_offering ON chats (id)
WHERE phase <> 'Ended'
  AND (state::jsonb -> 'forward' <> 'null' OR jsonb_array_length(state::jsonb -> 'invitations') > 0);
