# Shows at login which slot verinit booted and what it verified, from the
# record the init left in /run/verinit/status.json (docs/status.md).
if [ -r /run/verinit/status.json ]; then
	slot=$(sed -n 's/.*"rauc\.slot":"\([^"]*\)".*/\1/p' /run/verinit/status.json)
	hash=$(sed -n 's/.*"root_hash":"\([0-9a-f]*\)".*/\1/p' /run/verinit/status.json)
	signer=$(sed -n 's/.*"signature":{[^}]*"subject":"\([^"]*\)".*/\1/p' /run/verinit/status.json)
	echo "verinit: slot ${slot:-?}, dm-verity root hash ${hash:-none}, signed by ${signer:-nobody}"
else
	echo "verinit: no /run/verinit/status.json: this root was not booted by verinit"
fi
